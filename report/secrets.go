package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"filippo.io/age"
)

// secretsHeader is the first line of the (decrypted) secrets file.
const secretsHeader = "line,username,password,status\n"

// ageMagic begins every age file, and so every segment of an encrypted
// secrets file.
const ageMagic = "age-encryption.org/v1\n"

// The status of a secrets record. A password is recorded pending before the
// call that sets it, then applied or refused once the answer is known; a
// pending record with no later record for its line is a call whose outcome
// is not known (the job stopped, or every answer was lost), which a resumed
// run settles. The password a user has is the one of the last applied
// record for its line.
const (
	SecretPending = "pending"
	SecretApplied = "applied"
	SecretRefused = "refused" // Cognito refused it: the user kept its password
)

// Secrets writes generated passwords to a CSV file
// (line,username,password,status) that only its owner can read, optionally
// encrypted to age recipients so no password is ever on disk in clear. It is
// safe for concurrent use.
//
// Every record reaches the OS before its method returns, and Pending fsyncs
// it: a crash, even of the machine, loses no password that may have been
// set. Encrypted, every record is a complete age file of its own (a
// segment), sealed before the method returns; the file is the concatenation
// of its segments, which ReadSecrets (and cogpass secrets decrypt) reads
// back in order. A crash can cut only the segment being written, whose
// password is either in an earlier pending segment or was never sent.
type Secrets struct {
	mu         sync.Mutex
	f          *os.File
	path       string
	recipients []age.Recipient // nil when plain
	rec        bytes.Buffer    // the record being written, in clear
	seg        bytes.Buffer    // its age segment
	err        error           // sticky write error
	closed     bool
	written    uint64 // records written

	// Pending records are fsync'd in groups: one fsync covers every record
	// written before it, so concurrent rows share it (group commit).
	syncMu sync.Mutex
	synced uint64 // records known to be on disk
}

// CreateSecrets creates the secrets file at path with mode 0600, refusing an
// existing file, and writes its header at once: the file exists before the
// first password is generated, so a job that cannot write it fails before
// touching any user. With recipients the content is a series of age
// segments.
func CreateSecrets(path string, recipients []age.Recipient) (*Secrets, error) {
	f, err := createPrivate(path)
	if err != nil {
		return nil, err
	}
	s := &Secrets{f: f, path: path, recipients: recipients}
	if err := s.header(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// AppendSecrets opens the secrets file of a job being resumed and appends
// to it. A plain file's unterminated last row (a crash artifact) is cut
// first; an encrypted file's cut last segment is left for the reader to
// pass over (without the private key nothing here can tell it from a whole
// one). The file must be encrypted exactly when recipients are given. A
// missing file is created as by CreateSecrets (the job may have died between
// creating the report and the secrets file).
func AppendSecrets(path string, recipients []age.Recipient) (*Secrets, error) {
	f, err := openOwned(path, "secrets file", true) // no link, owner, 0600
	if errors.Is(err, fs.ErrNotExist) {
		return CreateSecrets(path, recipients)
	}
	if err != nil {
		return nil, fmt.Errorf("open secrets file for resume: %w", err)
	}
	if err := checkPrivate(f, path); err != nil {
		f.Close()
		return nil, err
	}
	s := &Secrets{f: f, path: path, recipients: recipients}
	magic := make([]byte, len(ageMagic))
	n, _ := f.ReadAt(magic, 0)
	encrypted := n == len(magic) && string(magic) == ageMagic
	switch {
	case n == 0:
		err = s.header()
	case len(recipients) > 0 && !encrypted:
		err = fmt.Errorf("secrets file %s is not age-encrypted: resume with the first run's secrets flags (no --secrets-recipient)", path)
	case len(recipients) == 0 && encrypted:
		err = fmt.Errorf("secrets file %s is age-encrypted: resume with the first run's --secrets-recipient or --secrets-recipients-file", path)
	case len(recipients) == 0:
		if err = cutPartialTail(f, []byte(secretsHeader)); err != nil {
			err = fmt.Errorf("resume secrets file %s: %w", path, err)
		}
	}
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
	if err := holdOutput(f, "secrets file", path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkPrivate makes sure an existing secrets file is a regular file and
// tightens its mode to 0600 if someone loosened it (openOwned refuses a
// loosened mode on a resume before this runs).
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

// header writes the header, as a segment of its own when encrypted.
func (s *Secrets) header() error {
	s.rec.Reset()
	s.rec.WriteString(secretsHeader)
	err := s.put()
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("write secrets header %s: %w", s.path, err)
	}
	return nil
}

// Path is the file rows are written to.
func (s *Secrets) Path() string { return s.path }

// Encrypted reports whether the file is age-encrypted.
func (s *Secrets) Encrypted() bool { return len(s.recipients) > 0 }

// Write records a password the call set (status applied). Errors never
// contain the password.
//
// The username is neutralised against spreadsheet formula injection (see
// Neutralise); the password is written exactly, since a prefix would change
// it. Only generated passwords reach this file, and the generator never
// starts one with a character a spreadsheet reads as a formula; a password
// the manifest supplies is never written here.
func (s *Secrets) Write(line int, username, password string) error {
	return s.record(line, username, password, SecretApplied, false)
}

// Pending records a password before the call that sets it, on disk
// (fsync'd, sealed when encrypted) before it returns.
func (s *Secrets) Pending(line int, username, password string) error {
	return s.record(line, username, password, SecretPending, true)
}

// Refused records that the call refused the line's pending password: the
// user keeps the one it had.
func (s *Secrets) Refused(line int, username string) error {
	return s.record(line, username, "", SecretRefused, false)
}

func (s *Secrets) record(line int, username, password, status string, durable bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("write secrets file %s: %w", s.path, fs.ErrClosed)
	}
	if s.err != nil {
		s.mu.Unlock()
		return s.err
	}
	// Valid usernames and passwords have no CR/LF; escaping keeps the one
	// record per line rule that AppendSecrets and ReadSecrets rely on for
	// invalid ones.
	s.rec.Reset()
	cw := csv.NewWriter(&s.rec)
	cw.Write([]string{strconv.Itoa(line), Neutralise(oneLine(username)), oneLine(password), status})
	cw.Flush()
	err := cw.Error()
	if err == nil {
		err = s.put()
	}
	if err != nil {
		s.err = fmt.Errorf("write secrets file %s: %s", s.path, scrub(err, password))
		s.mu.Unlock()
		return s.err
	}
	s.written++
	seq := s.written
	s.mu.Unlock()
	if durable {
		return s.syncTo(seq)
	}
	return nil
}

// syncTo returns once the first seq records are on disk, fsyncing unless
// another caller's fsync already covered them.
func (s *Secrets) syncTo(seq uint64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= seq {
		return nil
	}
	s.mu.Lock()
	upTo, err := s.written, s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = fmt.Errorf("sync secrets file %s: %w", s.path, err)
		}
		err = s.err
		s.mu.Unlock()
		return err
	}
	s.synced = upTo
	return nil
}

// put writes the record in s.rec to the file in one write, as an age
// segment when encrypted, and wipes the clear copy.
func (s *Secrets) put() error {
	defer clear(s.rec.Bytes()[:s.rec.Cap()])
	data := s.rec.Bytes()
	if len(s.recipients) > 0 {
		s.seg.Reset()
		aw, err := age.Encrypt(&s.seg, s.recipients...)
		if err != nil {
			return err
		}
		if _, err := aw.Write(data); err != nil {
			return err
		}
		if err := aw.Close(); err != nil {
			return err
		}
		data = s.seg.Bytes()
	}
	_, err := s.f.Write(data)
	return err
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

// Sync fsyncs the file.
func (s *Secrets) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync secrets file %s: %w", s.path, err)
	}
	return nil
}

// Close fsyncs and closes the file. Closing twice is a no-op.
func (s *Secrets) Close() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.f.Sync()
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
