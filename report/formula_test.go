package report

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1555", "'+1555"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"}, // a quote alone is not a formula
		{"'=x", "''=x"},        // one more, so that Restore gives '=x back
		{"''-x", "'''-x"},
		{"", ""},
		{"'", "'"},
	} {
		if got := Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Restore(Neutralise(tc.in)); got != tc.in {
			t.Errorf("Restore(Neutralise(%q)) = %q", tc.in, got)
		}
	}
}

func FuzzNeutraliseRestore(f *testing.F) {
	for _, s := range []string{"=1", "'=1", "''", "'", "-", "alice@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Neutralise(s)
		if n != "" && formulaStart(n[0]) {
			t.Fatalf("Neutralise(%q) = %q starts a formula", s, n)
		}
		if got := Restore(n); got != s {
			t.Fatalf("Restore(Neutralise(%q)) = %q", s, got)
		}
	})
}

// TestReportNeutralisesFormulas: a CSV report's cells from the manifest or
// the pool do not start a formula, and the file is mode 0600 whatever the
// umask.
func TestReportNeutralisesFormulas(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := w.Write(Row{Line: 2, Username: "=cmd|' /C calc'!A0", Action: "reset", Outcome: Failed,
		ErrorCode: "@x", Message: "-bad", Attempts: 1, UserStatus: "+s", FinishedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkMode0600(t, path)
	data, _ := os.ReadFile(path)
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2", "'=cmd|' /C calc'!A0", "reset", "failed", "'@x", "'-bad", "1", "'+s", "0", "2026-01-02T03:04:05.000Z", ""}
	if strings.Join(recs[1], "\x00") != strings.Join(want, "\x00") {
		t.Errorf("row %q, want %q", recs[1], want)
	}
}

// TestSecretsNeutraliseUsernameNotPassword: the username cell is
// neutralised, the password is written exactly.
func TestSecretsNeutraliseUsernameNotPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.csv")
	s, err := CreateSecrets(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(2, "+alice", "=Pw1!zzzz"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != secretsHeader+"2,'+alice,=Pw1!zzzz,applied\n" {
		t.Errorf("secrets file %q", data)
	}
}
