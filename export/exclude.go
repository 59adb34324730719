package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"cogpass/input"
)

// Exclusions are usernames an export leaves out (break-glass admins, say),
// in memory: a set of lower-cased names, a few dozen bytes each, which is
// fine for the thousands of names such a list holds (a million would take
// some 100 MB).
type Exclusions map[string]struct{}

// ExclusionsError is a list of exclusions that could not be read whole; Line
// is the manifest line of a name that could not be read, or 0.
type ExclusionsError struct {
	Path string
	Line int
	Err  error
}

func (e *ExclusionsError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ExclusionsError) Unwrap() error { return e.Err }

// LoadExclusions reads the usernames of a manifest, CSV or JSON Lines by
// its extension. A file that cannot be opened, or whose format cannot be
// told, is the error of input.FormatFor or os.Open; a file that cannot be
// read whole, down to one name, is an *ExclusionsError: a name that cannot
// be read might be the admin the list is there to protect, so the list is
// refused rather than used without it.
func LoadExclusions(path string) (Exclusions, error) {
	format, err := input.FormatFor(path, "")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := input.NewReader(bufio.NewReader(f), format, input.Options{})
	if err != nil {
		return nil, &ExclusionsError{Path: path, Err: err}
	}
	ex := Exclusions{}
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return ex, nil
		}
		if err != nil {
			return nil, &ExclusionsError{Path: path, Err: err}
		}
		if row.Err != nil {
			return nil, &ExclusionsError{Path: path, Line: row.Line, Err: row.Err}
		}
		ex[strings.ToLower(row.Username)] = struct{}{}
	}
}

// Has matches case-insensitively, on the username or the email: whatever
// the pool's case sensitivity or whether the list names users by address,
// a listed user is left out (erring towards leaving out too many).
func (ex Exclusions) Has(u User) bool {
	if len(ex) == 0 {
		return false
	}
	if _, ok := ex[strings.ToLower(u.Username)]; ok {
		return true
	}
	if u.Email != "" {
		_, ok := ex[strings.ToLower(u.Email)]
		return ok
	}
	return false
}
