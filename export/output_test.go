package export_test

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cogpass/export"
	"cogpass/input"
)

var alice = export.User{Username: "alice", Status: "CONFIRMED", Enabled: true, Email: "alice@example.com", EmailVerified: true,
	Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), LastModified: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)}

// TestOutputNeverPartial: a file export is written as FILE.partial, mode
// 0600, and only a commit makes FILE; an abandoned one leaves FILE absent
// and what was written in FILE.partial; an existing FILE is refused.
func TestOutputNeverPartial(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.csv")
	out, err := export.Create(path, input.FormatCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name() != path+".partial" || out.Partial() != path+".partial" || out.Path() != path {
		t.Errorf("name %q partial %q path %q", out.Name(), out.Partial(), out.Path())
	}
	if err := out.Write(alice); err != nil {
		t.Fatal(err)
	}
	out.Abandon()
	if _, err := os.Stat(path); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("abandoned export visible as %s: %v", path, err)
	}
	data, err := os.ReadFile(path + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	want := "username,status,enabled,email,email_verified,phone_number_verified,created,last_modified\n" +
		"alice,CONFIRMED,true,alice@example.com,true,false,2024-01-02T03:04:05Z,2024-02-03T04:05:06Z\n"
	if string(data) != want {
		t.Errorf(".partial holds %q, want %q", data, want)
	}

	// A rerun overwrites the stale .partial, and its commit renames it.
	out, err = export.Create(path, input.FormatJSONL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Write(alice); err != nil {
		t.Fatal(err)
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".partial"); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf(".partial left after a commit: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ = os.ReadFile(path)
	if !strings.HasPrefix(string(data), `{"username":"alice","status":"CONFIRMED","enabled":true,`) || strings.Count(string(data), "\n") != 1 {
		t.Errorf("JSON Lines export %q", data)
	}

	if _, err := export.Create(path, input.FormatCSV, nil); !errors.Is(err, iofs.ErrExist) {
		t.Errorf("an existing export: err %v, want fs.ErrExist", err)
	}
}

// TestOutputStream: on a stream a commit sends the buffered users and an
// abandon sends nothing more.
func TestOutputStream(t *testing.T) {
	for _, path := range []string{"", "-"} {
		var buf bytes.Buffer
		out, err := export.Create(path, input.FormatCSV, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if out.Name() != "standard output" || out.Path() != "" || out.Partial() != "" {
			t.Errorf("%q: name %q path %q partial %q", path, out.Name(), out.Path(), out.Partial())
		}
		out.Write(alice)
		out.Abandon()
		if buf.Len() != 0 {
			t.Errorf("%q: an abandoned stream got %q", path, buf.String())
		}
		out, _ = export.Create(path, input.FormatCSV, &buf)
		out.Write(alice)
		if err := out.Commit(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(buf.String(), "\nalice,CONFIRMED,true,alice@example.com,true,false,2024-01-02T03:04:05Z,2024-02-03T04:05:06Z\n") {
			t.Errorf("%q: committed stream %q", path, buf.String())
		}
	}
}

// TestExclusions: names match case-insensitively, on the username or the
// email; a name that cannot be read refuses the whole list, naming its line.
func TestExclusions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "admins.csv")
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(good, []byte("username\nALICE\nbob@Example.com\n"), 0o600)
	os.WriteFile(bad, []byte("{\"username\":\"ok\"}\n{\"username\":\"bad\\u0000\"}\n"), 0o600)
	ex, err := export.LoadExclusions(good)
	if err != nil {
		t.Fatal(err)
	}
	for u, want := range map[export.User]bool{
		{Username: "alice"}:                         true,
		{Username: "b", Email: "BOB@example.com"}:   true,
		{Username: "carol", Email: "c@example.com"}: false,
		{Username: "bob"}:                           false,
	} {
		if ex.Has(u) != want {
			t.Errorf("Has(%+v) = %v, want %v", u, !want, want)
		}
	}
	var none export.Exclusions
	if none.Has(alice) {
		t.Error("no exclusions left alice out")
	}
	_, err = export.LoadExclusions(bad)
	var xe *export.ExclusionsError
	if !errors.As(err, &xe) || xe.Line != 2 || xe.Path != bad || !strings.HasPrefix(err.Error(), bad+" line 2: ") {
		t.Errorf("bad row: err %v", err)
	}
	if _, err := export.LoadExclusions(filepath.Join(dir, "missing.csv")); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("missing file: err %v", err)
	}
}
