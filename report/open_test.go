package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A resume appends to the secrets file only when it is a regular file, not
// a link, owned by this user and readable by no one else; the report only
// when it is a regular file, not a link, owned by this user. Each refusal
// is one line and leaves the file as it was.
func TestResumeOpensOutputsSafely(t *testing.T) {
	appendSecrets := func(p string) error {
		s, err := AppendSecrets(p, nil)
		if err == nil {
			s.Close()
		}
		return err
	}
	appendReport := func(p string) error {
		w, err := Append(p)
		if err == nil {
			w.Close()
		}
		return err
	}
	tests := []struct {
		name  string
		open  func(string) error
		setup func(t *testing.T, path string)
		want  string
	}{
		{"secrets: a symbolic link", appendSecrets, func(t *testing.T, p string) {
			target := filepath.Join(filepath.Dir(p), "elsewhere.csv")
			os.WriteFile(target, []byte(secretsHeader), 0o600)
			os.Symlink(target, p)
		}, "symbolic link"},
		{"secrets: a dangling symbolic link", appendSecrets, func(t *testing.T, p string) {
			os.Symlink(filepath.Join(filepath.Dir(p), "planted.csv"), p)
		}, "symbolic link"},
		{"secrets: readable by the group", appendSecrets, func(t *testing.T, p string) {
			os.WriteFile(p, []byte(secretsHeader), 0o640)
			os.Chmod(p, 0o640)
		}, "mode 0640"},
		{"secrets: readable by others", appendSecrets, func(t *testing.T, p string) {
			os.WriteFile(p, []byte(secretsHeader), 0o604)
			os.Chmod(p, 0o604)
		}, "mode 0604"},
		{"secrets: a FIFO", appendSecrets, func(t *testing.T, p string) { mkfifo(t, p) }, "not a regular file"},
		{"report: a symbolic link", appendReport, func(t *testing.T, p string) {
			target := filepath.Join(filepath.Dir(p), "elsewhere.csv")
			os.WriteFile(target, []byte(csvHeader), 0o600)
			os.Symlink(target, p)
		}, "symbolic link"},
		{"report: a FIFO", appendReport, func(t *testing.T, p string) { mkfifo(t, p) }, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.csv")
			tt.setup(t, path)
			before := snapshot(filepath.Dir(path))
			err := tt.open(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a refusal with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the refusal is more than one line: %q", err)
			}
			if after := snapshot(filepath.Dir(path)); after != before {
				t.Errorf("files changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// A file owned by another user is refused; only root can make one.
func TestResumeRefusesAnotherUsersSecrets(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	path := filepath.Join(t.TempDir(), "secrets.csv")
	os.WriteFile(path, []byte(secretsHeader), 0o600)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skip(err)
	}
	_, err := AppendSecrets(path, nil)
	if err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Fatalf("got %v, want a refusal naming the owner", err)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := mkfifoAt(path); err != nil {
		t.Skip("no FIFO here:", err)
	}
}

// snapshot lists a directory's entries with their sizes and modes.
func snapshot(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || err != nil {
			return nil
		}
		fmt.Fprintf(&b, "%s %s %d\n", p, fi.Mode(), fi.Size())
		return nil
	})
	return b.String()
}
