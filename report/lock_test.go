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

// A run that reaches another run's report or secrets file through a hard
// link (a name Lock cannot tie to the first) is refused when it opens the
// file to append: the file itself is locked while a job holds it open.
// Before, two runs appended to one secrets file at once and 22 of 39 users'
// last passwords did not sign in (cogpass set --resume --secrets HARDLINK
// while the first run went on).
func TestOutputHeldThroughHardLink(t *testing.T) {
	dir := t.TempDir()
	sec := filepath.Join(dir, "s.csv")
	s, err := CreateSecrets(sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "r.csv")
	w, err := Create(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{sec, rep} {
		if err := os.Link(p, p+".hard"); err != nil {
			t.Fatal(err)
		}
	}
	if s2, err := AppendSecrets(sec+".hard", nil); !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("AppendSecrets through a hard link while the first holds it: %v, want ErrLocked", err)
	}
	if w2, err := Append(rep + ".hard"); !errors.Is(err, ErrLocked) {
		if w2 != nil {
			w2.Close()
		}
		t.Errorf("Append through a hard link while the first holds it: %v, want ErrLocked", err)
	}
	// Once the first job has closed them, a resume goes ahead.
	s.Close()
	w.Close()
	s2, err := AppendSecrets(sec+".hard", nil)
	if err != nil {
		t.Fatalf("after the first job ended: %v", err)
	}
	s2.Close()
	w2, err := Append(rep + ".hard")
	if err != nil {
		t.Fatalf("after the first job ended: %v", err)
	}
	w2.Close()
}
