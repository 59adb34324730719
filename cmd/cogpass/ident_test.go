package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
)

// withStdin makes r the process's stdin for one test.
func withStdin(t *testing.T, r *bytes.Buffer) {
	t.Helper()
	old := stdin
	stdin = r
	t.Cleanup(func() { stdin = old })
}

func TestResetReadsTheManifestFromStdin(t *testing.T) {
	e := newJobEmulator(t, 12, emulator.Options{})
	var exported, stderr bytes.Buffer
	err := run(context.Background(), []string{"export", "--user-pool-id", testPool, "--endpoint-url", e.url}, &exported, &stderr)
	if code := exitCode(err, &stderr); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	withStdin(t, &exported)
	reportPath := filepath.Join(t.TempDir(), "reset.report.csv")
	code, out := runCLI(t, "reset", "--user-pool-id", testPool, "--endpoint-url", e.url, "--manifest", "-", "--manifest-format", "csv", "--report", reportPath, "--rate", "2000")
	if code == exitUsage {
		t.Fatalf("export | reset --manifest -: exit 2:\n%s", out)
	}
	if strings.Contains(out, "--secrets") {
		t.Errorf("reset asks for --secrets, a flag it does not have:\n%s", out)
	}
	if n := len(readReport(t, reportPath)); n != 12 {
		t.Errorf("%d report rows, want 12", n)
	}
	if n := e.writes("AdminResetUserPassword"); n != 12 {
		t.Errorf("%d resets, want 12", n)
	}
}

// A start that fails with exit 2 leaves nothing behind, in every mode, and
// the corrected rerun needs no --resume.
func TestFailedStartLeavesNothing(t *testing.T) {
	e := newJobEmulator(t, 5, emulator.Options{})
	bad := map[string][]byte{
		"no username column": []byte("user,password\nuser000001,\n"),
		"semicolons":         []byte("username;password\nuser000001;\n"),
		"utf-16":             append([]byte{0xff, 0xfe}, []byte("u\x00s\x00e\x00r\x00n\x00a\x00m\x00e\x00\n\x00")...),
	}
	modes := map[string][]string{
		"real run":        {"--user-pool-id", testPool, "--endpoint-url", e.url, "--yes"},
		"dry run":         {"--user-pool-id", testPool, "--endpoint-url", e.url, "--dry-run"},
		"offline dry run": {"--dry-run", "--offline"},
	}
	for name, data := range bad {
		for mode, args := range modes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				dir := t.TempDir()
				manifest := filepath.Join(dir, "users.csv")
				if err := os.WriteFile(manifest, data, 0o644); err != nil {
					t.Fatal(err)
				}
				code, out := runCLI(t, append([]string{"set", "--manifest", manifest}, args...)...)
				if code != exitUsage {
					t.Fatalf("exit %d, want 2:\n%s", code, out)
				}
				if left := filesIn(t, dir); len(left) != 1 {
					t.Errorf("a failed start left %v", left)
				}
				// The corrected manifest runs without --resume.
				if err := os.WriteFile(manifest, []byte("username\nuser000001\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				code, out = runCLI(t, append([]string{"set", "--manifest", manifest, "--rate", "2000"}, args...)...)
				if code != 0 {
					t.Errorf("the corrected rerun: exit %d:\n%s", code, out)
				}
			})
		}
	}
}

// The hint for an output left by an earlier run offers only flags that
// the mode accepts.
func TestExistingOutputHintWorks(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.csv")
	os.WriteFile(manifest, []byte("username\nuser000001\n"), 0o644)
	args := []string{"set", "--manifest", manifest, "--dry-run", "--offline"}
	if code, out := runCLI(t, args...); code != 0 {
		t.Fatalf("first dry run: exit %d:\n%s", code, out)
	}
	code, out := runCLI(t, args...)
	if code != exitUsage || strings.Contains(out, "--resume") || !strings.Contains(out, "--report") {
		t.Errorf("second dry run: exit %d, want 2 and a hint without --resume:\n%s", code, out)
	}
}

func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
