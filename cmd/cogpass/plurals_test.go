package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cogpass/emulator"
	"cogpass/job"
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
// on a pty: "3 rows of 20 remain (15 done by an earlier run)"). The
// session's preview sends no more than --limit (job's
// TestPreviewResumeWithLimit); the prompt counts the rows that remain.
func TestConfirmResumeWithLimitCountsRemainingRows(t *testing.T) {
	c := confirmFacts{Preview: job.Preview{Action: "set temporary passwords, stopping after 3 rows (--limit)", Total: 20, Done: 15, Send: 3, Resume: true}}
	got := c.prompt()
	if !strings.Contains(got, "for 3 users") || !strings.Contains(got, "resume:    5 rows of 20 remain (15 done by an earlier run)") {
		t.Errorf("prompt:\n%s", got)
	}
}
