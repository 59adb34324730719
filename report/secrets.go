package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"filippo.io/age"
)

// secretsHeader is the first line of the (decrypted) secrets file.
const secretsHeader = "line,username,password\n"

// Secrets writes generated passwords to a CSV file (line,username,password)
// that only its owner can read, optionally encrypted to age recipients so no
// password is ever on disk in clear. It is safe for concurrent use.
//
// Crash safety differs by mode. Plain: each row reaches the OS before Write
// returns, like the report. Age: the file is one age stream, whose payload is
// encrypted in 64 KiB chunks and which is only complete once Close writes the
// final chunk; rows since the last full chunk are lost if the process dies,
// and the age CLI refuses a stream without its final chunk (the Go library
// yields the complete chunks before failing). A resumed job then has users
// whose generated password was set but is in no secrets file (report rows
// succeeded, line absent from the decrypted secrets); nothing here can detect
// that, so the operator must set those users again.
type Secrets struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	age    io.WriteCloser // nil when plain
	bw     *bufio.Writer  // over f (plain) or the age writer
	cw     *csv.Writer
	rec    [3]string
	err    error // sticky write error
	closed bool
}

// CreateSecrets creates the secrets file at path with mode 0600, refusing an
// existing file, and writes its header at once: the file exists before the
// first password is generated, so a job that cannot write it fails before
// touching any user. With recipients the content is an age stream.
func CreateSecrets(path string, recipients []age.Recipient) (*Secrets, error) {
	f, err := createPrivate(path)
	if err != nil {
		return nil, err
	}
	s, err := newSecrets(f, path, recipients, true)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// AppendSecrets opens the secrets file of a job being resumed. A plain file
// is appended to, after its unterminated last row (a crash artifact) is cut.
// An age stream cannot be appended to, so with recipients the rows go to a
// new age file next to it: the first free of <path>.2, <path>.3, ...; Path
// tells which. A missing file is created as by CreateSecrets (the job may have
// died between creating the report and the secrets file).
func AppendSecrets(path string, recipients []age.Recipient) (*Secrets, error) {
	if len(recipients) > 0 {
		p := path
		for n := 2; ; n++ {
			s, err := CreateSecrets(p, recipients)
			if err == nil || !errors.Is(err, fs.ErrExist) {
				return s, err
			}
			if n > 10000 {
				return nil, fmt.Errorf("secrets file %s: no free name for a continuation file: %w", path, err)
			}
			p = path + "." + strconv.Itoa(n)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return CreateSecrets(path, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("open secrets file for resume: %w", err)
	}
	if err := checkPrivate(f, path); err != nil {
		f.Close()
		return nil, err
	}
	if err := cutPartialTail(f, []byte(secretsHeader)); err != nil {
		f.Close()
		return nil, fmt.Errorf("resume secrets file %s: %w", path, err)
	}
	s, err := newSecrets(f, path, nil, false)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates path exclusively with mode 0600. The Chmod covers a
// umask that would not matter for 0600 today but also file systems and
// platforms where the create mode is not applied as given.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("secrets file %s already exists: refusing to overwrite passwords it may hold (continue that job with --resume, or choose another --secrets): %w", path, err)
		}
		return nil, fmt.Errorf("create secrets file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("restrict secrets file %s to mode 0600: %w", path, err)
	}
	return f, nil
}

// checkPrivate makes sure an existing secrets file is a regular file and
// tightens its mode to 0600 if someone loosened it.
func checkPrivate(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat secrets file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("secrets file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("restrict secrets file %s to mode 0600: %w", path, err)
		}
	}
	return nil
}

func newSecrets(f *os.File, path string, recipients []age.Recipient, header bool) (*Secrets, error) {
	s := &Secrets{f: f, path: path}
	var dst io.Writer = f
	if len(recipients) > 0 {
		aw, err := age.Encrypt(f, recipients...)
		if err != nil {
			return nil, fmt.Errorf("encrypt secrets file %s: %w", path, err)
		}
		s.age = aw
		dst = aw
	}
	s.bw = bufio.NewWriterSize(dst, 4096)
	s.cw = csv.NewWriter(s.bw)
	if header {
		if _, err := s.bw.WriteString(secretsHeader); err != nil {
			return nil, fmt.Errorf("write secrets header %s: %w", path, err)
		}
		if err := s.bw.Flush(); err != nil {
			return nil, fmt.Errorf("write secrets header %s: %w", path, err)
		}
	}
	return s, nil
}

// Path is the file rows are written to: for an age-encrypted resume it is
// the continuation file AppendSecrets chose, not the path it was given.
func (s *Secrets) Path() string { return s.path }

// Encrypted reports whether the file is an age stream.
func (s *Secrets) Encrypted() bool { return s.age != nil }

// Write records a password. Plain files get the row before Write returns;
// age files only at the next full chunk or Close (see Secrets). Errors never
// contain the password.
//
// The username is neutralised against spreadsheet formula injection (see
// Neutralise); the password is written exactly, since a prefix would change
// it. Only generated passwords reach this file, and the generator never
// starts one with a character a spreadsheet reads as a formula; a password
// the manifest supplies is never written here.
func (s *Secrets) Write(line int, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("write secrets file %s: %w", s.path, fs.ErrClosed)
	}
	if s.err != nil {
		return s.err
	}
	// Valid usernames and passwords have no CR/LF; escaping keeps the one
	// record per line rule that AppendSecrets relies on for invalid ones.
	s.rec = [3]string{strconv.Itoa(line), Neutralise(oneLine(username)), oneLine(password)}
	err := s.cw.Write(s.rec[:])
	if err == nil {
		s.cw.Flush()
		err = s.cw.Error()
	}
	s.rec = [3]string{} // drop the password reference
	if err != nil {
		s.err = fmt.Errorf("write secrets file %s: %s", s.path, scrub(err, password))
		return s.err
	}
	return nil
}

// scrub renders err without the password in it, in case some writer ever
// echoes data back (none of the standard ones do).
func scrub(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "[redacted]")
	}
	return msg
}

// Sync writes buffered data and fsyncs. For an age file it cannot make the
// rows decryptable (only Close can); it still persists complete chunks.
func (s *Secrets) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("flush secrets file %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync secrets file %s: %w", s.path, err)
	}
	return nil
}

// Close flushes, finishes the age stream (its last chunk and tag), fsyncs
// and closes the file. Closing twice is a no-op.
func (s *Secrets) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.bw.Flush()
	if s.age != nil {
		if aerr := s.age.Close(); err == nil {
			err = aerr
		}
	}
	if serr := s.f.Sync(); err == nil {
		err = serr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close secrets file %s: %w", s.path, err)
	}
	return nil
}

// ParseRecipients parses --secrets-recipient values: age X25519 (age1...)
// and post-quantum hybrid (age1pq1...) public keys. Blank values are
// ignored; an invalid one is named by position (recipients are public, but a
// private key pasted by mistake must not be echoed).
func ParseRecipients(values []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for i, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(v), "AGE-SECRET-KEY-") {
			return nil, fmt.Errorf("secrets recipient %d is an age identity (private key), not a recipient: use its public key (age-keygen -y)", i+1)
		}
		rs, err := age.ParseRecipients(strings.NewReader(v))
		if err != nil {
			return nil, fmt.Errorf("secrets recipient %d: %w", i+1, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ParseRecipientsFile reads a --secrets-recipients-file: one recipient per
// line, '#' comments and blank lines ignored, as the age CLI's -R.
func ParseRecipientsFile(path string) ([]age.Recipient, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open recipients file: %w", err)
	}
	defer f.Close()
	rs, err := age.ParseRecipients(f)
	if err != nil {
		return nil, fmt.Errorf("recipients file %s: %w", path, err)
	}
	return rs, nil
}
