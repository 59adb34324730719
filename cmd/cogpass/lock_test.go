package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"cogpass/emulator"
	"cogpass/report"
)

// A second run on the outputs of a running job is refused at once, with
// exit 2 and the pid of the run that holds them, and writes nothing.
func TestSecondRunRefusedWhileFirstRuns(t *testing.T) {
	bin := cogpassBinary(t)
	const users = 100
	e := newJobEmulator(t, users, emulator.Options{Latency: 5 * time.Millisecond})
	manifest := writeManifest(t, users)
	first, firstErr := startJob(t, bin, e, manifest, "--rate", "20")
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	waitRows(t, manifest+".report.csv", 3)
	pid := fmt.Sprintf("pid %d", first.Process.Pid)

	for _, args := range [][]string{
		{"--resume"},
		{},                                    // a new job over the same files: refused on the lock, not only because they exist
		{"--report", manifest + ".other.csv"}, // same secrets file, another report
	} {
		before := reportRows(manifest + ".report.csv")
		all := append([]string{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "2000"}, args...)
		code, stderr := runCLI(t, all...)
		if code != exitUsage {
			t.Fatalf("%v: exit %d, want 2; stderr:\n%s", args, code, stderr)
		}
		if !strings.Contains(stderr, pid) || !strings.Contains(stderr, "in use by another cogpass run") {
			t.Errorf("%v: the refusal does not name the first run (%s):\n%s", args, pid, stderr)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
			t.Errorf("%v: the refusal is %d lines, want one:\n%s", args, n+1, stderr)
		}
		if _, err := os.Stat(manifest + ".other.csv"); err == nil {
			t.Errorf("%v: the refused run created a report", args)
		}
		if reportRows(manifest+".report.csv") < before {
			t.Errorf("%v: the report shrank", args)
		}
	}
	if reportRows(manifest+".report.csv") >= users {
		t.Fatalf("the first run finished before the second was tried; the test proves nothing")
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v; stderr:\n%s", err, firstErr)
	}
	checkFinished(t, e, manifest, users)
}

// A run killed with SIGKILL leaves its lock file behind, and the lock with
// it is gone: --resume takes it and finishes the job.
func TestKilledRunDoesNotBlockResume(t *testing.T) {
	bin := cogpassBinary(t)
	const users = 100
	e := newJobEmulator(t, users, emulator.Options{Latency: 5 * time.Millisecond})
	manifest := writeManifest(t, users)
	cmd, _ := startJob(t, bin, e, manifest, "--rate", "40")
	waitRows(t, manifest+".report.csv", 5)
	cmd.Process.Kill()
	cmd.Wait()
	lock := report.LockPath(manifest + ".report.csv")
	data, err := os.ReadFile(lock)
	if err != nil {
		t.Fatalf("the killed run left no lock file: %v", err)
	}
	if got := strings.TrimSpace(string(data)); got != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("lock file holds %q, want the killed run's pid %d", got, cmd.Process.Pid)
	}
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "2000", "--resume")
	if code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
	}
	checkFinished(t, e, manifest, users)
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the finished run left its lock file: %v", err)
	}
}

// Dry runs that write a report hold its lock too.
func TestDryRunHoldsLock(t *testing.T) {
	manifest := writeManifest(t, 3)
	l, err := report.Lock(manifest + ".dryrun.report.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--dry-run", "--offline")
	if code != exitUsage || !strings.Contains(stderr, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("exit %d, want 2 naming pid %d; stderr:\n%s", code, os.Getpid(), stderr)
	}
	if _, err := os.Stat(manifest + ".dryrun.report.csv"); err == nil {
		t.Error("the refused dry run wrote a report")
	}
}
