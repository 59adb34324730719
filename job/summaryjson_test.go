package job

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --summary-json in a directory that does not exist, or under a file, is a
// usage error at Open, before any call and with nothing left; before, the
// whole job ran and only the summary's write failed.
func TestSummaryJSONDirCheckedAtOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nodir", "s.json"), "--summary-json " + filepath.Join(dir, "nodir", "s.json") + ": directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{"under a file", filepath.Join(file, "s.json"), "--summary-json " + filepath.Join(file, "s.json") + ": " + file + " is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSessionEnv(t, 2)
			o := e.options()
			o.SummaryJSON = tt.path
			s, err := Open(context.Background(), o, e.connect)
			if err == nil {
				s.Close()
			}
			var usage *UsageError
			if !errors.As(err, &usage) || err.Error() != tt.want {
				t.Fatalf("Open: %v, want the usage error %q", err, tt.want)
			}
			if e.connects != 0 {
				t.Errorf("%d connects before the refusal, want none", e.connects)
			}
			for _, p := range []string{e.manifest + ".report.csv", e.manifest + ".report.csv.job.json", e.manifest + ".secrets.csv", e.manifest + ".report.csv.lock", e.manifest + ".secrets.csv.lock"} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s left behind", p)
				}
			}
		})
	}
}

// A summary that cannot be written after a job whose rows all succeeded is
// not a success: Outcome is a *Stopped whose hint is the --resume that
// writes it, and that resume sends nothing and writes the summary.
func TestSummaryJSONWriteFailureIsNotSuccess(t *testing.T) {
	e := newSessionEnv(t, 2)
	// Only the users that exist: every row succeeds.
	if err := os.WriteFile(e.manifest, []byte("username\nuser0\nuser1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sumDir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(sumDir, 0o700); err != nil {
		t.Fatal(err)
	}
	o := e.options()
	o.SummaryJSON = filepath.Join(sumDir, "s.json")
	ctx := context.Background()
	s, err := Open(ctx, o, e.connect)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	// The directory goes away while the job runs.
	if err := os.Remove(sumDir); err != nil {
		t.Fatal(err)
	}
	sum, runErr := s.Run(ctx, Hooks{})
	if runErr != nil || sum.Failed() != 0 {
		t.Fatalf("run: %v, %d failed", runErr, sum.Failed())
	}
	if err := s.WriteSummary(sum, runErr); err == nil || !strings.HasPrefix(err.Error(), "write --summary-json: ") {
		t.Fatalf("WriteSummary: %v, want the write's error", err)
	}
	err = s.Outcome(ctx, sum, runErr)
	s.Close()
	var stopped *Stopped
	want := "every row is done, but --summary-json " + o.SummaryJSON + " was not written: rerun with --resume to write it (no row is sent again)"
	if !errors.As(err, &stopped) || err.Error() != want {
		t.Fatalf("outcome %v, want *Stopped %q", err, want)
	}

	if err := os.Mkdir(sumDir, 0o700); err != nil {
		t.Fatal(err)
	}
	o.Resume = true
	s, err = Open(ctx, o, e.connect)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := s.Preview(); p.Send != 0 || p.Done != 2 {
		t.Errorf("resume preview %+v, want nothing to send and 2 done", p)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	sum, runErr = s.Run(ctx, Hooks{})
	if err := s.WriteSummary(sum, runErr); err != nil {
		t.Fatal(err)
	}
	if err := s.Outcome(ctx, sum, runErr); err != nil {
		t.Errorf("resume outcome %v, want success", err)
	}
	if _, err := os.Stat(o.SummaryJSON); err != nil {
		t.Errorf("summary not written by the resume: %v", err)
	}
}
