package main

import (
	"bytes"
	"context"
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
