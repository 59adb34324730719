package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"filippo.io/age"
)

func checkMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

func TestCreateSecretsPlain(t *testing.T) {
	// A permissive umask must not loosen the file: it is created 0600.
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	path := filepath.Join(t.TempDir(), "secrets.csv")
	s, err := CreateSecrets(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Encrypted() || s.Path() != path {
		t.Errorf("Encrypted()=%v Path()=%q", s.Encrypted(), s.Path())
	}
	checkMode0600(t, path)
	// Created, with its header, before the first row.
	if data, _ := os.ReadFile(path); string(data) != secretsHeader {
		t.Errorf("fresh secrets file holds %q, want the header", data)
	}
	if err := s.Write(2, "alice", `p"w,1`); err != nil {
		t.Fatal(err)
	}
	// Plain rows reach the OS per row, before Close.
	if data, _ := os.ReadFile(path); string(data) != secretsHeader+"2,alice,\"p\"\"w,1\",applied\n" {
		t.Errorf("after one Write: %q", data)
	}
	if err := s.Write(3, "bob", "Zx9!zzzzzzzzzzzz"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	want := secretsHeader + "2,alice,\"p\"\"w,1\",applied\n3,bob,Zx9!zzzzzzzzzzzz,applied\n"
	if data, _ := os.ReadFile(path); string(data) != want {
		t.Errorf("secrets file %q, want %q", data, want)
	}
	checkMode0600(t, path)
}

func TestCreateSecretsRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.csv")
	if err := os.WriteFile(path, []byte("line,username,password\n2,a,old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, recips := range [][]age.Recipient{nil, {newIdentity(t).Recipient()}} {
		s, err := CreateSecrets(path, recips)
		if err == nil {
			s.Close()
			t.Fatal("CreateSecrets over an existing file succeeded")
		}
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("error %q: want fs.ErrExist saying it already exists", err)
		}
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "old") {
		t.Error("existing secrets file changed")
	}
}

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// decryptCSV reads an age secrets file back, segment by segment, and
// returns its records as line,username,password,status.
func decryptCSV(t *testing.T, path string, id age.Identity) [][]string {
	t.Helper()
	recs := [][]string{strings.Split(strings.TrimSpace(secretsHeader), ",")}
	info, err := ReadSecrets(path, []age.Identity{id}, func(r SecretRecord) error {
		recs = append(recs, []string{fmt.Sprint(r.Line), r.Username, r.Password, r.Status})
		return nil
	})
	if err != nil || !info.Encrypted || info.Cut > 0 {
		t.Fatalf("read %s: %+v, %v", path, info, err)
	}
	return recs
}

func TestCreateSecretsAge(t *testing.T) {
	id, other := newIdentity(t), newIdentity(t)
	path := filepath.Join(t.TempDir(), "secrets.csv.age")
	s, err := CreateSecrets(path, []age.Recipient{id.Recipient(), other.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Encrypted() {
		t.Error("Encrypted() = false with recipients")
	}
	checkMode0600(t, path)
	const n = 2000 // > 64 KiB of plaintext: several age chunks
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				if err := s.Write(i+2, fmt.Sprintf("user%06d", i), fmt.Sprintf("Pw-%06d-%s", i, strings.Repeat("x", 20))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "Pw-000001") || !strings.HasPrefix(string(data), "age-encryption.org/v1\n") {
		t.Fatal("secrets file is not an age stream, or holds a password in clear")
	}
	checkMode0600(t, path)
	for _, ident := range []age.Identity{id, other} {
		recs := decryptCSV(t, path, ident)
		if len(recs) != n+1 {
			t.Fatalf("%d records, want %d", len(recs), n+1)
		}
		seen := map[string]bool{}
		for _, r := range recs[1:] {
			var i int
			fmt.Sscanf(r[1], "user%06d", &i)
			if r[0] != fmt.Sprint(i+2) || r[2] != fmt.Sprintf("Pw-%06d-%s", i, strings.Repeat("x", 20)) || seen[r[1]] {
				t.Fatalf("bad record %v", r)
			}
			seen[r[1]] = true
		}
	}
}

func TestAppendSecretsPlain(t *testing.T) {
	tests := []struct {
		name, before, want string
		mode               fs.FileMode
	}{
		{"complete", secretsHeader + "2,a,pw1,applied\n", secretsHeader + "2,a,pw1,applied\n3,b,pw2,applied\n", 0o600},
		{"cut mid row", secretsHeader + "2,a,pw1,applied\n3,b,p", secretsHeader + "2,a,pw1,applied\n3,b,pw2,applied\n", 0o600},
		{"empty", "", secretsHeader + "3,b,pw2,applied\n", 0o600},
		{"missing", "", secretsHeader + "3,b,pw2,applied\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.csv")
			if tt.mode != 0 {
				if err := os.WriteFile(path, []byte(tt.before), tt.mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tt.mode)
			}
			s, err := AppendSecrets(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Path() != path {
				t.Errorf("Path() = %q, want %q", s.Path(), path)
			}
			if err := s.Write(3, "b", "pw2"); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.want {
				t.Errorf("got %q, want %q", data, tt.want)
			}
			checkMode0600(t, path)
		})
	}
}

func TestAppendSecretsRefusesOtherCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.csv")
	if err := os.WriteFile(path, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := AppendSecrets(path, nil); err == nil {
		s.Close()
		t.Fatal("AppendSecrets into a foreign CSV succeeded")
	}
}

func TestAppendSecretsAge(t *testing.T) {
	id := newIdentity(t)
	recips := []age.Recipient{id.Recipient()}
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.csv")
	// A resume appends its segments to the same file.
	for i := range 3 {
		var s *Secrets
		var err error
		if i == 0 {
			s, err = CreateSecrets(path, recips)
		} else {
			s, err = AppendSecrets(path, recips)
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.Path() != path {
			t.Errorf("run %d writes %q, want %q", i, s.Path(), path)
		}
		if err := s.Write(i+2, fmt.Sprintf("u%d", i), fmt.Sprintf("pw%d", i)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		checkMode0600(t, path)
	}
	recs := decryptCSV(t, path, id)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4: %v", len(recs), recs)
	}
	for i, r := range recs[1:] {
		if r[0] != fmt.Sprint(i+2) || r[2] != fmt.Sprintf("pw%d", i) || r[3] != SecretApplied {
			t.Errorf("record %d: %v", i, r)
		}
	}
	// Missing file with recipients: AppendSecrets creates it in place.
	p2 := filepath.Join(dir, "fresh.csv")
	s, err := AppendSecrets(p2, recips)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s.Path() != p2 {
		t.Errorf("Path() = %q, want %q", s.Path(), p2)
	}
	// The first run's encryption must be the resume's.
	if s, err := AppendSecrets(path, nil); err == nil {
		s.Close()
		t.Error("a plain resume appended to an encrypted secrets file")
	}
	plain := filepath.Join(dir, "plain.csv")
	os.WriteFile(plain, []byte(secretsHeader), 0o600)
	if s, err := AppendSecrets(plain, recips); err == nil {
		s.Close()
		t.Error("an encrypted resume appended to a plain secrets file")
	}
}

// A kill -9 loses nothing sealed: every record is its own age segment,
// whole on disk when its method returns; a segment cut while it was written
// is passed over and the file can still be appended to and read.
func TestAgeSecretsSurviveACrash(t *testing.T) {
	id := newIdentity(t)
	recips := []age.Recipient{id.Recipient()}
	path := filepath.Join(t.TempDir(), "secrets.csv")
	s, err := CreateSecrets(path, recips)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := s.Pending(i+2, fmt.Sprintf("u%d", i), fmt.Sprintf("pw%d", i)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := s.Write(i+2, fmt.Sprintf("u%d", i), fmt.Sprintf("pw%d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// No Close: the process died. Every record is readable as it is.
	recs := decryptCSV(t, path, id)
	if len(recs) != 1+50+25 {
		t.Fatalf("%d records readable without Close, want 76", len(recs))
	}
	// A segment cut short by the crash, then a resume's segment after it.
	s.Write(99, "cut", "cut-password")
	fi, _ := os.Stat(path)
	os.Truncate(path, fi.Size()-10)
	s.f.Close()
	s2, err := AppendSecrets(path, recips)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Write(100, "after", "pw-after"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	var got []SecretRecord
	info, err := ReadSecrets(path, []age.Identity{id}, func(r SecretRecord) error { got = append(got, r); return nil })
	if err != nil || info.Cut != 1 || len(got) != 76 || got[75].Username != "after" {
		t.Fatalf("after a cut segment and a resume: %+v, %d records, %v", info, len(got), err)
	}
	// The pending records whose line has no later record are the calls in
	// flight; PendingSecrets needs the plain file, ReadSecrets the key.
	if _, err := PendingSecrets(path, nil); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("PendingSecrets of an encrypted file: %v, want ErrNoIdentity", err)
	}
	pending, err := PendingSecrets(path, []age.Identity{id})
	if err != nil || len(pending) != 25 || pending[3] != "pw1" || pending[2] != "" {
		t.Errorf("PendingSecrets with the key: %d lines, line 3 %q, %v; want the 25 odd ones", len(pending), pending[3], err)
	}
}

func TestPendingSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.csv")
	s, err := CreateSecrets(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Pending(2, "a", "pa")  // in flight
	s.Pending(3, "b", "pb1") // applied
	s.Write(3, "b", "pb1")
	s.Pending(4, "c", "pc") // refused
	s.Refused(4, "c")
	s.Pending(5, "d", "pd1") // a later run settled it with the same password
	s.Write(5, "d", "pd1")
	s.Close()
	// A crash cut the last line.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("6,e,pe,pend")
	f.Close()
	got, err := PendingSecrets(path, nil)
	if err != nil || len(got) != 1 || got[2] != "pa" {
		t.Errorf("PendingSecrets = %v, %v; want line 2 only", got, err)
	}
}

func TestSecretsErrorHasNoPassword(t *testing.T) {
	s, err := CreateSecrets(filepath.Join(t.TempDir(), "secrets.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.f.Close() // make the next write fail
	const pw = "S3cret!Password"
	err = s.Write(2, "alice", pw)
	if err == nil {
		t.Fatal("Write to a closed file succeeded")
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("error leaks the password: %v", err)
	}
	if err2 := s.Write(3, "bob", pw); err2 == nil {
		t.Error("Write after a failed write succeeded")
	}
}

func TestParseRecipients(t *testing.T) {
	id := newIdentity(t)
	pub := id.Recipient().String()
	tests := []struct {
		name    string
		in      []string
		want    int
		wantErr string
	}{
		{"one", []string{pub}, 1, ""},
		{"two and blank", []string{pub, "  ", " " + pub + " "}, 2, ""},
		{"none", nil, 0, ""},
		{"garbage", []string{pub, "not-a-key"}, 0, "secrets recipient 2"},
		{"identity by mistake", []string{id.String()}, 0, "private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecipients(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), id.String()) {
					t.Error("error echoes a private key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("%d recipients, want %d", len(got), tt.want)
			}
		})
	}
}

func TestParseRecipientsFile(t *testing.T) {
	dir := t.TempDir()
	a, b := newIdentity(t), newIdentity(t)
	good := filepath.Join(dir, "recipients.txt")
	os.WriteFile(good, []byte("# ops team\n"+a.Recipient().String()+"\n\n"+b.Recipient().String()+"\n"), 0o644)
	got, err := ParseRecipientsFile(good)
	if err != nil || len(got) != 2 {
		t.Fatalf("ParseRecipientsFile = %d recipients, %v; want 2, nil", len(got), err)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("# nothing\n"), 0o644)
	if _, err := ParseRecipientsFile(bad); err == nil {
		t.Error("a recipients file without recipients was accepted")
	}
	if _, err := ParseRecipientsFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

// Concurrent rows record their pending passwords at once; each returns with
// its record on disk, and none is lost or torn.
func TestPendingSecretsConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.csv")
	s, err := CreateSecrets(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				line := 2 + g*50 + i
				if err := s.Pending(line, fmt.Sprintf("u%d", line), fmt.Sprintf("pw%d", line)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	s.Close()
	got, err := PendingSecrets(path, nil)
	if err != nil || len(got) != 400 || got[401] != "pw401" {
		t.Errorf("%d pending lines, line 401 %q, %v; want 400", len(got), got[401], err)
	}
}

// BenchmarkSecretsPending measures pending records per second with rows
// recording them concurrently (fsync'd in groups).
func BenchmarkSecretsPending(b *testing.B) {
	s, err := CreateSecrets(filepath.Join(b.TempDir(), "secrets.csv"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(16)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			line := int(n.Add(1))
			if err := s.Pending(line, "user", "Abcdefgh1234!xyz"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
