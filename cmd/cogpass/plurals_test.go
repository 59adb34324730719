package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cogpass/emulator"
)

// The first Ctrl-C's message counts its calls in good English: one call
// in flight is "1 call", as issue 16 asks of every count.
func TestStoppingMessagePlurals(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "stopping: 0 calls in flight, up to 10s; Ctrl-C again to quit now"},
		{1, "stopping: 1 call in flight, up to 10s; Ctrl-C again to quit now"},
		{7, "stopping: 7 calls in flight, up to 10s; Ctrl-C again to quit now"},
	} {
		if got := stoppingMessage(tc.n, 10*time.Second); got != tc.want {
			t.Errorf("%d in flight: %q, want %q", tc.n, got, tc.want)
		}
	}
}

// One invalid row of several is "1 of 3 rows is invalid", not "are".
func TestPreflightOneInvalidRowPlural(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(manifest, []byte("username\nuser000001\nuser000002\nuser000001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, setArgs(e, manifest)...)
	if code != exitUsage || !strings.Contains(stderr, "preflight: 1 of 3 rows is invalid; nothing was sent") {
		t.Errorf("exit %d, want 2 and \"1 of 3 rows is invalid\":\n%s", code, stderr)
	}
}

// A resume with --limit: the prompt sends 3 users but 5 rows remain (seen
// on a pty: "3 rows of 20 remain (15 done by an earlier run)").
func TestConfirmResumeWithLimitCountsRemainingRows(t *testing.T) {
	c := confirmFacts{action: "set temporary passwords", total: 20, done: 15, send: 5, resume: true}
	f := &incidentFlags{limit: 3}
	f.confirm(&c)
	got := c.prompt()
	if !strings.Contains(got, "for 3 users") || !strings.Contains(got, "resume:    5 rows of 20 remain (15 done by an earlier run)") {
		t.Errorf("prompt:\n%s", got)
	}
}
