package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"

	"filippo.io/age"

	"cogpass/job"
	"cogpass/report"
)

// settleInFlight tells a resumed job which rows the earlier run may have
// sent without learning the outcome (no final report row), and the
// passwords it recorded as pending for them, which the job sends again so
// that a write that was applied is recognised (see job.Config.Pending).
// An encrypted secrets file is read with identityFile when one is given;
// without it a set row is sent with a new password, which is as good, and
// a change row the earlier run applied fails (its password is still in the
// secrets file, as pending).
func settleInFlight(cfg *job.Config, ix *report.Index, secrets *report.Secrets, identityFile string, log *slog.Logger) error {
	cfg.InFlight = func(line int) bool { return !ix.Final(line, false) }
	if secrets == nil {
		return nil
	}
	var ids []age.Identity
	if secrets.Encrypted() {
		if identityFile == "" {
			if cfg.Command == job.Change {
				log.Warn("the secrets file is encrypted: rows the stopped run left in flight are sent with new passwords; a change it applied fails and its password stays pending in the secrets file",
					"hint", "pass --secrets-identity with the private key to settle them with their pending passwords")
			}
			return nil
		}
		var err error
		if ids, err = readIdentities(identityFile); err != nil {
			return err
		}
	}
	pending, err := report.PendingSecrets(secrets.Path(), ids)
	if err != nil {
		return fmt.Errorf("cannot resume: read the pending passwords: %w", err)
	}
	n := 0
	for line := range pending {
		if cfg.InFlight(line) {
			n++
		}
	}
	if n > 0 {
		log.Info("rows in flight when the job stopped are settled with their pending passwords", "rows", n)
	}
	cfg.Pending = func(line int) (string, bool) {
		pw, ok := pending[line]
		return pw, ok
	}
	return nil
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("open age identity file: %v", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, usageError("age identity file %s: %v", path, err)
	}
	return ids, nil
}

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
	if len(args) > 0 && args[0] == "decrypt" {
		args = args[1:]
	} else if len(args) == 0 || args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
		fs.Usage()
		return usageError("usage: cogpass secrets decrypt [--identity FILE] [--latest] FILE...")
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
		if ids, err = readIdentities(f.identity); err != nil {
			return err
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
