package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// confirmShown is the confirmation as the terminal showed it, up to the
// question, with the emulator's port and CR LF line ends made stable.
func confirmShown(t *testing.T, out, url string) []byte {
	t.Helper()
	out = strings.ReplaceAll(out, "\r\n", "\n")
	i := strings.Index(out, "About to ")
	j := strings.Index(out, "Go on? [y/N] ")
	if i < 0 || j < i {
		t.Fatalf("no confirmation in:\n%q", out)
	}
	return []byte(strings.ReplaceAll(out[i:j+len("Go on? [y/N] ")], url, "http://127.0.0.1:PORT") + "\n")
}

// TestConfirmationSaysWhatIsAboutToHappen: on a terminal, the prompt
// before a real run names the endpoint (not AWS), the region, the account
// (unknown: an emulator has no STS), the pool with its rows, the passwords
// generated and supplied, on a resume the rows that remain, and for a
// reset the e-mail cap of Cognito's default sender. Answering no sends
// nothing.
func TestConfirmationSaysWhatIsAboutToHappen(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := cogpassBinary(t)
	e := newPtyPool(t, 60)
	var b strings.Builder
	b.WriteString("username,password\n")
	for i := 1; i <= 10; i++ {
		pw := ""
		if i <= 3 {
			pw = "Supplied-Passw0rd!"
		}
		fmt.Fprintf(&b, "user%06d,%s\n", i, pw)
	}
	if err := os.WriteFile(e.manifest, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := e.onTerminal(t, bin, "n", "set")
	if code != exitUsage {
		t.Errorf("set answered no: exit %d", code)
	}
	golden(t, "confirm/set.golden", confirmShown(t, out, e.url))
	if n := e.calls("AdminSetUserPassword"); n != 0 {
		t.Errorf("%d writes after no", n)
	}

	// A reset of 60 users of a pool with Cognito's default e-mail sender.
	b.Reset()
	b.WriteString("username\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "user%06d\n", i)
	}
	if err := os.WriteFile(e.manifest, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = e.onTerminal(t, bin, "n", "reset")
	if code != exitUsage {
		t.Errorf("reset answered no: exit %d", code)
	}
	golden(t, "confirm/reset.golden", confirmShown(t, out, e.url))

	// A resume: 56 of 60 rows done by a first run (4 users do not exist),
	// --retry-failed sends the 4 again.
	b.Reset()
	b.WriteString("username\n")
	for i := 1; i <= 60; i++ {
		if i%15 == 0 {
			fmt.Fprintf(&b, "nobody%02d\n", i)
			continue
		}
		fmt.Fprintf(&b, "user%06d\n", i)
	}
	if err := os.WriteFile(e.manifest, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	first := e.command(bin, "set", "--yes", "--rate", "1000")
	if out, err := first.CombinedOutput(); err == nil || first.ProcessState.ExitCode() != exitRowsFailed {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	out, code = e.onTerminal(t, bin, "n", "set", "--resume", "--retry-failed")
	if code != exitUsage {
		t.Errorf("resume answered no: exit %d", code)
	}
	golden(t, "confirm/resume.golden", confirmShown(t, out, e.url))
}

// TestDryRunProgressHasATotal: on a terminal a dry run's bar shows
// done/total rows and an ETA, like a real run's.
func TestDryRunProgressHasATotal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := cogpassBinary(t)
	e := newPtyPool(t, 40)
	out, code := e.onTerminal(t, bin, "", "reset", "--dry-run", "--read-rate", "40")
	if code != exitOK {
		t.Fatalf("exit %d:\n%q", code, out)
	}
	for _, w := range []string{"40/40 rows", "ETA"} {
		if !strings.Contains(out, w) {
			t.Errorf("no %q on the terminal:\n%q", w, out)
		}
	}
}
