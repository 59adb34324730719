package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cogpass/report"
)

// The first SIGTERM stops a job whose manifest never ends while cogpass
// reads it to hash it: exit 3 at once, nothing left behind.
func TestSignalStopsEndlessManifestHash(t *testing.T) {
	bin := cogpassBinary(t)
	for _, kind := range []string{"/dev/zero", "fifo"} {
		t.Run(strings.TrimPrefix(kind, "/dev/"), func(t *testing.T) {
			dir := t.TempDir()
			manifest := kind
			if kind == "fifo" {
				manifest = filepath.Join(dir, "users.csv")
				if err := syscall.Mkfifo(manifest, 0o600); err != nil {
					t.Skip("no FIFO:", err)
				}
			}
			reportPath := filepath.Join(dir, "report.csv")
			cmd := exec.Command(bin, "set", "--user-pool-id", testPool, "--manifest", manifest, "--manifest-format", "csv",
				"--report", reportPath, "--secrets", filepath.Join(dir, "secrets.csv"),
				"--endpoint-url", "http://127.0.0.1:1", "--yes")
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			if kind == "fifo" {
				// A writer that sends a header and rows and never closes.
				w, err := os.OpenFile(manifest, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				w.WriteString("username\nuser1\n")
			}
			// The lock is taken just before the manifest is hashed: from
			// then on the signal handler is in place.
			lock := report.LockPath(reportPath)
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(lock); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the run never took its lock; stderr:\n%s", stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // well into the read
			cmd.Process.Signal(syscall.SIGTERM)
			var err error
			select {
			case err = <-exited:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still reading the manifest 30 s after SIGTERM; stderr:\n%s", stderr.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitStoppedEarly {
				t.Fatalf("%v, want exit 3; stderr:\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "users.csv" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
