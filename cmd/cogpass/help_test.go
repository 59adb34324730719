package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"cogpass/input"
)

// updateGolden rewrites the golden files: go test ./cmd/cogpass -run Help -update (the summary's: go test ./job -run Summary -update)
var updateGolden = flag.Bool("update", false, "rewrite testdata golden files with the current output")

// golden compares got with testdata/NAME, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// runHelp runs cogpass ARGS in-process and returns what it printed on
// stdout and stderr, and its exit code.
func runHelp(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestHelpGolden(t *testing.T) {
	tests := []struct {
		args   []string
		golden string
	}{
		{[]string{"--help"}, "help/cogpass.golden"},
		{[]string{"set", "--help"}, "help/set.golden"},
		{[]string{"reset", "--help"}, "help/reset.golden"},
		{[]string{"change", "--help"}, "help/change.golden"},
		{[]string{"emulator", "--help"}, "help/emulator.golden"},
		{[]string{"completion", "--help"}, "help/completion.golden"},
		{[]string{"verify", "--help"}, "help/verify.golden"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runHelp(t, tt.args...)
			if code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			// Where help goes differs by command (flag's own usage goes to
			// stderr); what it says is the golden file.
			golden(t, tt.golden, []byte(stdout+stderr))
		})
	}
}

// TestEveryCommandHasAnExample: every command's --help, aliases included,
// shows a command line an operator can copy.
func TestEveryCommandHasAnExample(t *testing.T) {
	example := regexp.MustCompile(`(?m)^\s+cogpass [a-z-]+ \S`)
	for _, name := range allCommandNames() {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runHelp(t, name, "--help")
			if code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			help := stdout + stderr
			if !example.MatchString(help) {
				t.Errorf("no example command line in the help:\n%s", help)
			}
			if !strings.Contains(help, "Usage: cogpass ") {
				t.Errorf("no usage line in the help:\n%s", help)
			}
		})
	}
	stdout, _, _ := runHelp(t, "--help")
	for _, name := range allCommandNames() {
		if !strings.Contains(stdout, name) {
			t.Errorf("cogpass --help does not mention %s", name)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		stdout, stderr, code := runHelp(t, arg)
		if code != exitOK || stderr != "" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, stderr)
		}
		if !regexp.MustCompile(`^cogpass \S+ \(.*go1\.\d+.*\)\n$`).MatchString(stdout) {
			t.Errorf("%s printed %q, want cogpass VERSION (... GO VERSION)", arg, stdout)
		}
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.GoVersion != "" {
		if stdout, _, _ := runHelp(t, "--version"); !strings.Contains(stdout, info.GoVersion) {
			t.Errorf("--version %q does not name the Go version %s", stdout, info.GoVersion)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	stdout, stderr, code := runHelp(t, "frobnicate")
	if code != exitUsage || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "usage: cogpass") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestHelpOnStdout: every command's --help, -h and -help go to stdout and
// nothing to stderr, the emulator's too (its own usage code printed it on
// stderr).
func TestHelpOnStdout(t *testing.T) {
	for _, name := range allCommandNames() {
		for _, h := range []string{"--help", "-h", "-help"} {
			stdout, stderr, code := runHelp(t, name, h)
			if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "Usage: cogpass ") {
				t.Errorf("%s %s: exit %d, stderr starts %.60q, stdout starts %.40q; want 0, no stderr and the help on stdout", name, h, code, stderr, stdout)
			}
		}
	}
}

// TestHelpCommand: 'cogpass help COMMAND' is 'cogpass COMMAND --help' (it
// printed the general usage and ignored COMMAND), for every name and alias;
// 'help' alone and 'help help' are the general usage.
func TestHelpCommand(t *testing.T) {
	for _, name := range allCommandNames() {
		stdout, stderr, code := runHelp(t, "help", name)
		wantOut, wantErr, _ := runHelp(t, name, "--help")
		if code != exitOK || stdout != wantOut || stderr != wantErr {
			t.Errorf("help %s: exit %d, stdout starts %.60q; want 0 and the output of %s --help, which starts %.60q", name, code, stdout, name, wantOut)
		}
	}
	usage, _, _ := runHelp(t, "--help")
	for _, args := range [][]string{{"help"}, {"help", "help"}} {
		if stdout, _, code := runHelp(t, args...); code != exitOK || stdout != usage {
			t.Errorf("%q: exit %d, want 0 and the general usage:\n%s", args, code, stdout)
		}
	}
}

// TestChangeHelpColumnsAreAManifest: the columns change's help lists make a
// manifest the reader accepts, row and all. The help listed access_token,
// previous_password and proposed_password; the reader requires a username
// column and a non-empty username (README: "username | all (required)").
func TestChangeHelpColumnsAreAManifest(t *testing.T) {
	help, _, _ := runHelp(t, "change", "--help")
	m := regexp.MustCompile(`\(columns ([a-z_,\s]+);`).FindStringSubmatch(help)
	if m == nil {
		t.Fatalf("no '(columns ...;' in change's help:\n%s", help)
	}
	values := map[string]string{"username": "alice", "access_token": "eyJraWQ.eyJzdWIi.c2ln",
		"previous_password": "Old-pass-1234", "proposed_password": "New-pass-1234"}
	var header, row []string
	for _, c := range strings.Split(m[1], ",") {
		c = strings.TrimSpace(c)
		v, ok := values[c]
		if !ok {
			t.Fatalf("help lists a column %q this test does not know", c)
		}
		header, row = append(header, c), append(row, v)
	}
	csv := strings.Join(header, ",") + "\n" + strings.Join(row, ",") + "\n"
	rd, err := input.NewReader(strings.NewReader(csv), input.FormatCSV, input.Options{})
	if err != nil {
		t.Fatalf("a manifest of the columns the help lists (%s) is refused: %v", m[1], err)
	}
	r, err := rd.Next()
	if err != nil || r.Err != nil {
		t.Fatalf("its row: %v, %v", err, r.Err)
	}
	if r.AccessToken == "" || r.ProposedPassword == "" {
		t.Errorf("row read without its change columns: %+v", r)
	}
}
