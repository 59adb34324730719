package job

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DistinctOutputs refuses two names of one file however they are spelled:
// relative parts, a symbolic link, a hard link; "" and "-" name no file.
func TestDistinctOutputs(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(manifest, []byte("username\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := os.Symlink(filepath.Join(dir, "out.csv"), filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(manifest, filepath.Join(dir, "hard.csv")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"other files", filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), false},
		{"spelled another way", filepath.Join(dir, "out.csv"), filepath.Join(dir, "sub", "..", ".", "out.csv"), true},
		{"symbolic link to a file not yet there", filepath.Join(dir, "out.csv"), filepath.Join(dir, "link.csv"), true},
		{"hard link", manifest, filepath.Join(dir, "hard.csv"), true},
		{"no file", "", "", false},
		{"stdin and stdout", "-", "-", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DistinctOutputs(Output{Flag: "--a", Path: tt.a}, Output{Flag: "--b", Path: tt.b})
			var usage *UsageError
			switch {
			case tt.same && (!errors.As(err, &usage) || !strings.HasPrefix(err.Error(), "--a and --b name the same file")):
				t.Errorf("%v, want a usage error naming both flags", err)
			case !tt.same && err != nil:
				t.Errorf("%v, want none", err)
			}
		})
	}
}
