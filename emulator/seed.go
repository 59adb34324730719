package emulator

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"cogpass/input"
)

// seedColumns are the columns of a seed manifest besides username: those of
// `cogpass export` (status, enabled, email, email_verified,
// phone_number_verified, created, last_modified) and phone_number and sub.
var seedColumns = []string{"status", "enabled", "email", "email_verified", "phone_number", "phone_number_verified", "created", "last_modified", "sub"}

// SeedResult is what SeedFromManifest did.
type SeedResult struct {
	Added    int // users created
	Repeated int // rows skipped: their username was added before
}

// SeedFromManifest creates one user of the pool per row of a manifest, CSV
// with a header or JSON Lines, read by the job's own manifest reader
// (package input: byte-order mark, encoding, header and line checks alike).
// Only username is required; the columns of `cogpass export` (status,
// enabled, email, email_verified, phone_number_verified, created,
// last_modified) and phone_number and sub are honoured when present, so
// that an exported pool can be replayed. A row with only a username gets
// the seeded defaults: CONFIRMED, verified email <username>@example.com.
// password, when not empty, is the permanent password of every CONFIRMED
// user. A repeated username is skipped and counted. name is the manifest's
// name for messages, which have the form name:line: problem.
func (s *Server) SeedFromManifest(poolID, name string, r io.Reader, format input.Format, password string) (SeedResult, error) {
	var res SeedResult
	rows, err := input.NewReader(r, format, input.Options{Extra: seedColumns, ShortRecords: true})
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("%s: %w", name, err)
		}
		if row.Err != nil {
			return res, fmt.Errorf("%s:%d: %w", name, row.Line, row.Err)
		}
		u, err := seedUserFromRecord(row.Username, row.Extra, password)
		if err != nil {
			return res, fmt.Errorf("%s:%d: %w", name, row.Line, err)
		}
		if err := s.AddUser(poolID, u); err != nil {
			if errors.Is(err, ErrUserExists) {
				res.Repeated++
				continue
			}
			return res, fmt.Errorf("%s:%d: %w", name, row.Line, err)
		}
		res.Added++
	}
}

// seedUserFromRecord makes the user of one row from its username and its
// seedColumns (rec holds those the row has).
func seedUserFromRecord(username string, rec map[string]string, password string) (SeedUser, error) {
	for k, v := range rec {
		rec[k] = strings.TrimSpace(v)
	}
	u := SeedUser{Username: username, Status: rec["status"], Email: rec["email"], Phone: rec["phone_number"], Password: password, Sub: rec["sub"]}
	if _, has := rec["email"]; !has {
		u.Email, u.EmailVerified = u.Username+"@example.com", true
	}
	enabled := true
	for _, c := range []struct {
		key string
		dst *bool
	}{{"email_verified", &u.EmailVerified}, {"phone_number_verified", &u.PhoneVerified}, {"enabled", &enabled}} {
		if v := rec[c.key]; v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return u, fmt.Errorf("%s %q: want true or false", c.key, v)
			}
			*c.dst = b
		}
	}
	u.Disabled = !enabled
	for _, c := range []struct {
		key string
		dst *time.Time
	}{{"created", &u.Created}, {"last_modified", &u.LastModified}} {
		if v := rec[c.key]; v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return u, fmt.Errorf("%s %q: want an RFC 3339 time", c.key, v)
			}
			*c.dst = t
		}
	}
	if u.Status != "" && u.Status != StatusConfirmed {
		u.Password = "" // a seed password is a permanent one
	}
	return u, nil
}
