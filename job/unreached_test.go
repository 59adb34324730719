package job

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/report"
)

// A job stopped by its pool's ResourceNotFoundException (a mistyped
// --user-pool-id) before any call reached a pool leaves nothing behind: its
// report, job record and secrets file are removed and it ends as a usage
// error with the pool hint, so the corrected run needs no --resume (before,
// it was *Stopped with the files left: a fresh run was refused because the
// report existed, and --resume because the pool differed). A --resume keeps
// its files.
func TestSessionDiscardsUnreachedJob(t *testing.T) {
	const missing = "us-east-1_Typo1"
	tests := []struct {
		name    string
		cmd     Command
		stdin   bool
		dryRun  bool
		resume  bool
		discard bool
	}{
		{name: "reset", cmd: Reset, discard: true},
		{name: "set from stdin (no preflight)", cmd: Set, stdin: true, discard: true},
		{name: "reset dry run", cmd: Reset, dryRun: true, discard: true},
		{name: "reset --resume keeps its files", cmd: Reset, resume: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSessionEnv(t, 2)
			dir := t.TempDir()
			o := e.options()
			o.Command, o.UserPoolID, o.DryRun, o.Resume = tt.cmd, missing, tt.dryRun, tt.resume
			o.Report = filepath.Join(dir, "r.csv")
			if tt.cmd == Set && !tt.dryRun {
				o.Secrets = filepath.Join(dir, "s.csv")
			}
			if tt.stdin {
				data, err := os.ReadFile(e.manifest)
				if err != nil {
					t.Fatal(err)
				}
				o.Manifest, o.Stdin = "-", strings.NewReader(string(data))
			}
			ctx := context.Background()
			s, err := Open(ctx, o, e.connect)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			sum, runErr := s.Run(ctx, Hooks{})
			err = s.Outcome(ctx, sum, runErr)
			s.Close()
			if !strings.Contains(err.Error(), "ResourceNotFoundException: User pool "+missing+" does not exist.") || !strings.HasSuffix(err.Error(), "\nhint: check --user-pool-id and --region") {
				t.Errorf("outcome %q, want the pool's error and hint", err)
			}
			files := []string{o.Report, report.SidecarPath(o.Report), o.Report + ".lock"}
			if o.Secrets != "" {
				files = append(files, o.Secrets, o.Secrets+".lock")
			}
			var usage *UsageError
			var stopped *Stopped
			if tt.discard {
				if !errors.As(err, &usage) || sum != nil {
					t.Fatalf("outcome %T %v (summary %v), want a *UsageError and no summary", err, err, sum)
				}
				for _, p := range files {
					if _, err := os.Lstat(p); err == nil {
						t.Errorf("%s left behind", p)
					}
				}
				// The corrected run needs no --resume.
				o.UserPoolID = sessionPool
				if tt.stdin {
					data, _ := os.ReadFile(e.manifest)
					o.Stdin = strings.NewReader(string(data))
				}
				s, err := Open(ctx, o, e.connect)
				if err != nil {
					t.Fatalf("corrected run: %v", err)
				}
				defer s.Close()
				if err := s.Start(); err != nil {
					t.Fatalf("corrected run: %v", err)
				}
				if _, runErr := s.Run(ctx, Hooks{}); runErr != nil {
					t.Errorf("corrected run: %v", runErr)
				}
				return
			}
			if !errors.As(err, &stopped) || errors.As(err, &usage) {
				t.Fatalf("outcome %T %v, want *Stopped", err, err)
			}
			for _, p := range files[:2] {
				if _, err := os.Lstat(p); err != nil {
					t.Errorf("%s: %v, want it kept", p, err)
				}
			}
		})
	}
}
