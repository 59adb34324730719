package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"filippo.io/age"

	"cogpass/report"
)

const secretsExample = `cogpass secrets decrypt --identity key.txt users.csv.secrets.csv > all-records.csv
cogpass secrets decrypt --identity key.txt --latest users.csv.secrets.csv > passwords.csv`

// secretsFlags are the flags of 'cogpass secrets decrypt'.
type secretsFlags struct {
	identity string
	latest   bool
}

// flagSet is secrets decrypt's FlagSet, bound to f.
func (f *secretsFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("secrets decrypt", secretsExample, stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cogpass secrets decrypt [flags] FILE...\n\n"+
			"Prints a secrets file as one CSV (line,username,password,status), every record in\n"+
			"the order written; an age-encrypted file is read segment by segment.\n\nExample:\n%s\nFlags:\n", indent(secretsExample))
		fs.PrintDefaults()
	}
	fs.StringVar(&f.identity, "identity", "", "age identity file (private key, as age -i) for an encrypted secrets file")
	fs.BoolVar(&f.latest, "latest", false, "print only each line's password in force: its last record, when applied")
	return fs
}

// runSecrets is 'cogpass secrets decrypt': it reads a secrets file back,
// every age segment in order, and prints it as one CSV.
func runSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f secretsFlags
	fs := f.flagSet(stderr)
	switch {
	case len(args) > 0 && args[0] == "decrypt":
		args = args[1:]
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
	default:
		// One line, as a misspelt command: what is wrong, the valid
		// subcommands, the short usage; not the whole help.
		return secretsSubcommandError(args)
	}
	if err := parseFlagsWithArgs(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("secrets decrypt: name the secrets file(s), in the order they were written")
	}
	var ids []age.Identity
	if f.identity != "" {
		var err error
		if ids, err = report.ReadIdentities(f.identity); err != nil {
			return usageError("%v", err)
		}
	}
	w := csv.NewWriter(stdout)
	w.Write([]string{"line", "username", "password", "status"})
	last := map[int]report.SecretRecord{}
	for _, path := range fs.Args() {
		info, err := report.ReadSecrets(path, ids, func(r report.SecretRecord) error {
			if f.latest {
				last[r.Line] = r
				return nil
			}
			return w.Write([]string{strconv.Itoa(r.Line), r.Username, r.Password, r.Status})
		})
		if errors.Is(err, report.ErrNoIdentity) {
			return usageError("%s: %v: give it with --identity", path, err)
		}
		if err != nil {
			return usageError("%v", err)
		}
		if info.Cut > 0 {
			fmt.Fprintf(stderr, "cogpass: %s: %d record(s) cut short by a crash while they were written, passed over (a password is whole on disk before its call is made)\n", path, info.Cut)
		}
	}
	if f.latest {
		lines := make([]int, 0, len(last))
		for l := range last {
			lines = append(lines, l)
		}
		sort.Ints(lines)
		pending := 0
		for _, l := range lines {
			r := last[l]
			switch r.Status {
			case report.SecretApplied:
				w.Write([]string{strconv.Itoa(r.Line), r.Username, r.Password, r.Status})
			case report.SecretPending:
				pending++
			}
		}
		if pending > 0 {
			fmt.Fprintf(stderr, "cogpass: %d line(s) end pending: the job stopped before it knew whether their password was set; resume it (--resume) to settle them\n", pending)
		}
	}
	w.Flush()
	return w.Error()
}

// secretsSubcommands are the subcommands of 'cogpass secrets'.
var secretsSubcommands = []string{"decrypt"}

// secretsSubcommandError is a missing or unknown subcommand of 'cogpass
// secrets': one line with the valid subcommands, then the short usage.
func secretsSubcommandError(args []string) error {
	want := strings.Join(secretsSubcommands, ", ")
	msg := "name a subcommand: " + want
	if len(args) > 0 {
		msg = fmt.Sprintf("unknown subcommand %q: want %s", args[0], want)
	}
	return usageError("secrets: %s\n%s", msg, shortUsage("secrets"))
}
