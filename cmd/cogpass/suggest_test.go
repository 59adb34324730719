package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
)

// TestMisspellingsSuggest: a misspelt command, flag or --status value is
// one error line with a suggestion, then the short usage (not the whole
// help), exit 2.
func TestMisspellingsSuggest(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		first string
	}{
		{[]string{"rest"}, `cogpass: unknown command "rest": did you mean reset?`},
		{[]string{"exprot"}, `cogpass: unknown command "exprot": did you mean export?`},
		{[]string{"frobnicate"}, `cogpass: unknown command "frobnicate"`},
		{[]string{"set", "--pasword-length", "20"}, `cogpass: set: unknown flag --pasword-length: did you mean --password-length?`},
		{[]string{"reset", "--user-pool", "x"}, `cogpass: reset: unknown flag --user-pool: did you mean --user-pool-id?`},
		{[]string{"set", "--dryrun"}, `cogpass: set: unknown flag --dryrun: did you mean --dry-run?`},
		{[]string{"set", "--rate", "fast"}, `cogpass: set: --rate "fast": want a number`},
		{[]string{"set", "--manifest"}, `cogpass: set: flag --manifest needs a value`},
		// The emulator parses as the others do (it printed the flag
		// package's "flag provided but not defined", without a suggestion).
		{[]string{"emulator", "--seed-user", "3"}, `cogpass: emulator: unknown flag --seed-user: did you mean --seed-users?`},
		{[]string{"emulator", "--fault-rate", "often"}, `cogpass: emulator: --fault-rate "often": want a number`},
		{[]string{"export", "--user-pool-id", "us-east-1_X", "--status", "CONFIMRED"}, `cogpass: export: --status "CONFIMRED": did you mean CONFIRMED? (want one of`},
		{[]string{"export", "--user-pool-id", "us-east-1_X", "--status", "force_change"}, `cogpass: export: --status "force_change": did you mean FORCE_CHANGE_PASSWORD?`},
		// secrets' subcommand is checked as a command is (it printed the
		// whole help and a usage line, and no word of what was wrong).
		{[]string{"secrets", "encrypt", "x"}, "cogpass: secrets: unknown subcommand \"encrypt\": want decrypt"},
		{[]string{"secrets"}, "cogpass: secrets: name a subcommand: decrypt"},
		// help COMMAND names a command that exists.
		{[]string{"help", "rest"}, `cogpass: unknown command "rest": did you mean reset?`},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != exitUsage || !strings.HasPrefix(lines[0], tc.first) {
			t.Errorf("%q: exit %d, first line %q; want 2 and %q", tc.args, code, lines[0], tc.first)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, stdout)
		}
		if len(lines) > 4 || !strings.Contains(stderr, "usage: cogpass") || strings.Contains(stderr, "Flags:") {
			t.Errorf("%q: want the short usage, not the help:\n%s", tc.args, stderr)
		}
	}
}

// TestShortUsageNamesEveryCommand: the short usage after a misspelt command
// names every command of the help (verify and secrets were missing).
func TestShortUsageNamesEveryCommand(t *testing.T) {
	_, _, stderr := cli(t, "frobnicate")
	var usage string
	for l := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(l, "usage: cogpass "); ok {
			usage = strings.Fields(rest)[0]
		}
	}
	listed := map[string]bool{}
	for _, c := range strings.Split(usage, "|") {
		listed[c] = true
	}
	var help strings.Builder
	printUsage(&help)
	for l := range strings.Lines(help.String()) {
		f := strings.Fields(l)
		if len(f) > 1 && strings.HasPrefix(l, "  cogpass ") && !strings.HasPrefix(f[1], "-") && !listed[f[1]] {
			t.Errorf("the short usage %q does not name %s", usage, f[1])
		}
	}
}

// TestMisspeltColumnRefused: a manifest whose password column is misspelt
// is refused before any call, instead of having every user get a generated
// password.
func TestMisspeltColumnRefused(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(manifest, []byte("username,passwd\nuser000001,Xx1!aaaaaaaaaaaa\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
	if code != exitUsage || !strings.Contains(stderr, `unknown column "passwd": did you mean password?`) {
		t.Errorf("exit %d, stderr %q; want 2 and the suggestion", code, stderr)
	}
	if n := e.writes("AdminSetUserPassword"); n != 0 {
		t.Errorf("%d writes", n)
	}
	if left := filesIn(t, dir); len(left) != 1 {
		t.Errorf("left behind: %v", left)
	}
}
