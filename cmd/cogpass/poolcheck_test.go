package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
)

// TestNoPoolIsAUsageError: set or reset with no --user-pool-id and no
// user_pool_id column is a usage error naming both, not a preflight of
// invalid rows with a --skip-invalid hint; a dry run too. Nothing is sent
// and nothing is left behind.
func TestNoPoolIsAUsageError(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	want := "cogpass: no user pool: give --user-pool-id, or a user_pool_id column in the manifest\n"
	for _, tc := range []struct {
		name, file, data string
		args             []string
	}{
		{"set csv", "u.csv", "username\nuser000001\nuser000002\n", []string{"set", "--yes"}},
		{"reset csv", "u.csv", "username\nuser000001\n", []string{"reset", "--yes"}},
		{"dry run csv", "u.csv", "username\nuser000001\n", []string{"reset", "--dry-run"}},
		{"set jsonl", "u.jsonl", `{"username":"user000001"}` + "\n" + `{"username":"user000002"}` + "\n", []string{"set", "--yes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			manifest := filepath.Join(dir, tc.file)
			if err := os.WriteFile(manifest, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stderr := runCLI(t, append(tc.args, "--manifest", manifest, "--endpoint-url", e.url)...)
			if code != exitUsage || stderr != want {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
			}
			if strings.Contains(stderr, "--skip-invalid") {
				t.Error("the hint offers --skip-invalid")
			}
			if left := filesIn(t, dir); len(left) != 1 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	if n := e.srv.Stats()["AdminGetUser"].Calls + e.writes("AdminSetUserPassword") + e.writes("AdminResetUserPassword"); n != 0 {
		t.Errorf("%d calls", n)
	}
	// A user_pool_id column is enough.
	dir := t.TempDir()
	manifest := filepath.Join(dir, "u.csv")
	if err := os.WriteFile(manifest, []byte("username,user_pool_id\nuser000001,"+testPool+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stderr := runCLI(t, "reset", "--yes", "--manifest", manifest, "--endpoint-url", e.url); code != 0 {
		t.Errorf("with a user_pool_id column: exit %d: %s", code, stderr)
	}
}
