package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockExclusive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	l, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another spelling of the same file: relative, through a linked
	// directory.
	link := filepath.Join(t.TempDir(), "d")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(link, "r.csv"), filepath.Join(dir, ".", "r.csv")} {
		_, err := Lock(p)
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
			t.Errorf("Lock(%s) while held: %v, want ErrLocked naming pid %d", p, err, os.Getpid())
		}
	}
	l.Unlock()
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Unlock left the lock file: %v", err)
	}
	l2, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	l2.Unlock()
	l2.Unlock()
}

// A lock file left by a process that died is no obstacle: only the
// kernel's lock counts.
func TestLockLeftFileIsFree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path+".lock", []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock over a stale lock file: %v", err)
	}
	defer l.Unlock()
	data, _ := os.ReadFile(path + ".lock")
	if strings.TrimSpace(string(data)) != fmt.Sprint(os.Getpid()) {
		t.Errorf("lock file holds %q, want our pid", data)
	}
}

func TestLockRefusesSymlinkedLockFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	os.WriteFile(target, []byte("keep"), 0o600)
	if err := os.Symlink(target, filepath.Join(dir, "r.csv.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(filepath.Join(dir, "r.csv")); err == nil {
		t.Fatal("Lock followed a symbolic link at the lock path")
	}
	if data, _ := os.ReadFile(target); string(data) != "keep" {
		t.Errorf("the link's target was written: %q", data)
	}
}
