package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"cogpass/job"
)

// command is one of cogpass's commands. The table of them (commands) is
// the one list that dispatch (run), the usage (printUsage), suggestions and
// short usages (suggest.go) and the completion scripts (completion.go) read.
type command struct {
	name     string // cogpass NAME
	alias    string // the AWS CLI's name for it, or ""
	synopsis string // the usage line after "cogpass NAME"
	summary  string // one line, for completion menus
	// flags builds the command's FlagSet, as its run parses it, bound to
	// values of its own: completion lists its flags from it.
	flags func() *flag.FlagSet
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is every command, in the order the usage lists them. It is set
// in init: runCompletion reads it, so a variable's initializer could not
// name runCompletion (an initialization cycle).
var commands []command

func init() {
	commands = []command{
		{name: "set", alias: "admin-set-user-password",
			synopsis: "--user-pool-id ID --manifest FILE [--permanent] [flags]",
			summary:  "set passwords from a manifest (AdminSetUserPassword)",
			flags:    jobFlagSet(job.Set, setExample), run: runSet},
		{name: "reset", alias: "admin-reset-user-password",
			synopsis: "--user-pool-id ID --manifest FILE [--client-metadata K=V ...] [flags]",
			summary:  "reset passwords from a manifest (AdminResetUserPassword)",
			flags:    jobFlagSet(job.Reset, resetExample), run: runReset},
		{name: "change", alias: "change-password",
			synopsis: "--manifest FILE [flags]",
			summary:  "change passwords with users' access tokens (ChangePassword)",
			flags:    jobFlagSet(job.Change, changeExample), run: runChange},
		{name: "export",
			synopsis: "--user-pool-id ID [--output FILE] [--status S | --filter EXPR | --expired-temporary] [flags]",
			summary:  "write a manifest of a pool's users",
			flags:    flagsOf((*exportFlags).flagSet), run: runExport},
		{name: "policy",
			synopsis: "--user-pool-id ID [--output text|json] [--sample N]",
			summary:  "show a pool's password policy",
			flags:    flagsOf((*policyFlags).flagSet), run: runPolicy},
		{name: "verify",
			synopsis: "--report REPORT [--user-pool-id ID] [flags]",
			summary:  "check that Cognito shows the status a job's report promises",
			flags:    flagsOf((*verifyFlags).flagSet), run: runVerify},
		{name: "emulator",
			synopsis: "[--listen ADDR] [--seed-users N] [flags]",
			summary:  "run a local, in-memory Cognito user pools endpoint",
			flags:    flagsOf((*emulatorFlags).flagSet), run: runEmulator},
		{name: "secrets",
			synopsis: "decrypt [--identity KEY] [--latest] FILE...",
			summary:  "read a secrets file back (decrypt its age segments in order)",
			flags:    flagsOf((*secretsFlags).flagSet), run: runSecrets},
		{name: "completion",
			synopsis: "bash|zsh|fish",
			summary:  "print a shell completion script (bash, zsh, fish)",
			flags:    func() *flag.FlagSet { return completionFlagSet(io.Discard) }, run: runCompletion},
	}
}

// flagsOf is a command's flags function from its flag struct's flagSet
// method: the FlagSet bound to a new struct, its help to nowhere.
func flagsOf[T any](flagSet func(*T, io.Writer) *flag.FlagSet) func() *flag.FlagSet {
	return func() *flag.FlagSet { return flagSet(new(T), io.Discard) }
}

// jobFlagSet is the flags function of a job command.
func jobFlagSet(cmd job.Command, example string) func() *flag.FlagSet {
	return func() *flag.FlagSet { return new(jobFlags).flagSet(cmd, example, io.Discard) }
}

// lookupCommand finds a command by its name or its alias.
func lookupCommand(name string) (*command, bool) {
	for i := range commands {
		if c := &commands[i]; c.name == name || (c.alias != "" && c.alias == name) {
			return c, true
		}
	}
	return nil, false
}

// names are the command's name and its alias, if it has one.
func (c *command) names() []string {
	if c.alias == "" {
		return []string{c.name}
	}
	return []string{c.name, c.alias}
}

// allCommandNames is every command's name and alias, in the table's order.
func allCommandNames() []string {
	var names []string
	for i := range commands {
		names = append(names, commands[i].names()...)
	}
	return names
}

// summaryOf is the completion menu's line for a name or alias.
func summaryOf(name string) string {
	c, ok := lookupCommand(name)
	switch {
	case !ok:
		return ""
	case name == c.alias:
		return "alias of " + c.name
	}
	return c.summary
}

func printUsage(w io.Writer) {
	// The flags line up in a column; a command's own word (secrets
	// decrypt, completion bash|zsh|fish) follows its name.
	width := 0
	for _, c := range commands {
		if strings.HasPrefix(c.synopsis, "-") || strings.HasPrefix(c.synopsis, "[") {
			width = max(width, len(c.name))
		}
	}
	var b strings.Builder
	b.WriteString("cogpass runs bulk password jobs against Amazon Cognito user pools.\n\nUsage:\n")
	var aliases []string
	for _, c := range commands {
		name := c.name
		if strings.HasPrefix(c.synopsis, "-") || strings.HasPrefix(c.synopsis, "[") {
			name = fmt.Sprintf("%-*s", width, name)
		}
		fmt.Fprintf(&b, "  cogpass %s %s\n", name, c.synopsis)
		if c.alias != "" {
			aliases = append(aliases, c.alias)
		}
	}
	fmt.Fprintf(&b, `  cogpass --version

Aliases as in the AWS CLI: %s.
Run 'cogpass COMMAND --help' for a command's flags and an example.

Exit codes: 0 every row succeeded (or was planned), 1 some rows failed,
2 usage error or unreadable manifest (nothing written), 3 the job stopped early.
`, strings.Join(aliases, ", "))
	io.WriteString(w, b.String())
}
