package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"filippo.io/age"
)

// SecretRecord is one record of a secrets file.
type SecretRecord struct {
	Line     int
	Username string
	Password string
	Status   string // SecretPending, SecretApplied or SecretRefused
}

// SecretsRead says what ReadSecrets found besides the records.
type SecretsRead struct {
	Encrypted bool
	// Segments is the number of age segments (encrypted files).
	Segments int
	// Cut is the number of segments or lines that could not be read: the
	// last one cut by a crash while it was written, normally (a record
	// written with Pending is whole on disk before its call is made).
	Cut int
}

// ErrNoIdentity is returned by ReadSecrets for an encrypted file when no
// identity is given.
var ErrNoIdentity = errors.New("the secrets file is age-encrypted: its private key is needed to read it")

// ReadSecrets calls fn with every record of the secrets file at path, in
// the order they were written. A plain file is read line by line; an
// unterminated last line (a crash artifact) is passed over. An encrypted
// file is read as the series of age segments Secrets writes (an age file
// written by an earlier cogpass, one stream, reads as one segment) and
// needs an identity that can decrypt it. Files with the earlier header
// line,username,password read as records whose status is applied.
func ReadSecrets(path string, identities []age.Identity, fn func(SecretRecord) error) (SecretsRead, error) {
	var info SecretsRead
	data, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("read secrets file: %w", err)
	}
	defer clear(data)
	if !bytes.HasPrefix(data, []byte(ageMagic)) {
		return info, readSecretLines(data, &info, fn)
	}
	info.Encrypted = true
	if len(identities) == 0 {
		return info, ErrNoIdentity
	}
	for _, seg := range splitSegments(data) {
		info.Segments++
		r, err := age.Decrypt(bytes.NewReader(seg), identities...)
		var plain []byte
		if err == nil {
			plain, err = io.ReadAll(r)
		}
		if err != nil {
			var noMatch *age.NoIdentityMatchError
			if errors.As(err, &noMatch) {
				return info, fmt.Errorf("secrets file %s: segment %d: %w", path, info.Segments, err)
			}
			info.Cut++
			continue
		}
		err = readSecretLines(plain, &info, fn)
		clear(plain)
		if err != nil {
			return info, err
		}
	}
	return info, nil
}

// splitSegments cuts a concatenation of age files at each file's magic
// line. The magic inside a segment's ciphertext (22 given bytes of random
// output) does not happen in practice.
func splitSegments(data []byte) [][]byte {
	var segs [][]byte
	for len(data) > 0 {
		next := bytes.Index(data[1:], []byte(ageMagic))
		if next < 0 {
			segs = append(segs, data)
			break
		}
		segs = append(segs, data[:next+1])
		data = data[next+1:]
	}
	return segs
}

// readSecretLines parses CSV secrets records, one per line, passing over
// header lines and an unterminated last line.
func readSecretLines(data []byte, info *SecretsRead, fn func(SecretRecord) error) error {
	data = bytes.TrimPrefix(data, utf8BOM)
	br := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if line != "" {
				info.Cut++
			}
			return nil
		}
		if strings.HasPrefix(line, "line,username,password") {
			continue
		}
		rec, perr := csv.NewReader(strings.NewReader(line)).Read()
		if perr != nil || len(rec) < 3 {
			info.Cut++
			continue
		}
		n, perr := strconv.Atoi(rec[0])
		if perr != nil {
			info.Cut++
			continue
		}
		r := SecretRecord{Line: n, Username: rec[1], Password: rec[2], Status: SecretApplied}
		if len(rec) > 3 {
			r.Status = rec[3]
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// PendingSecrets reads the secrets file at path (identities decrypt an
// encrypted one) and returns the lines whose last record is pending, with
// that password: the calls whose outcome an earlier run did not learn.
func PendingSecrets(path string, identities []age.Identity) (map[int]string, error) {
	pending := map[int]string{}
	_, err := ReadSecrets(path, identities, func(r SecretRecord) error {
		if r.Status == SecretPending {
			pending[r.Line] = r.Password
		} else {
			delete(pending, r.Line)
		}
		return nil
	})
	return pending, err
}
