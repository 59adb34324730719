package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strconv"
	"time"

	"cogpass/input"
	"cogpass/report"
)

// Columns is the export's header. username comes first so the file is a
// manifest as it stands; set and reset ignore the rest (with a warning).
var Columns = []string{"username", "status", "enabled", "email", "email_verified", "phone_number_verified", "created", "last_modified"}

// userWriter writes exported users in one format.
type userWriter interface {
	write(User) error
	flush() error
}

func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type csvUsers struct {
	w   *csv.Writer
	rec []string
}

func newCSVUsers(w io.Writer) (*csvUsers, error) {
	c := &csvUsers{w: csv.NewWriter(w), rec: make([]string, len(Columns))}
	return c, c.w.Write(Columns)
}

func (c *csvUsers) write(u User) error {
	// Cells from the pool are neutralised against spreadsheet formula
	// injection; the manifest reader restores usernames (report.Restore).
	c.rec[0], c.rec[1], c.rec[2], c.rec[3] = report.Neutralise(u.Username), report.Neutralise(u.Status), strconv.FormatBool(u.Enabled), report.Neutralise(u.Email)
	c.rec[4], c.rec[5] = strconv.FormatBool(u.EmailVerified), strconv.FormatBool(u.PhoneNumberVerified)
	c.rec[6], c.rec[7] = exportTime(u.Created), exportTime(u.LastModified)
	return c.w.Write(c.rec)
}

func (c *csvUsers) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// record is a JSON Lines row; its keys are the CSV's columns.
type record struct {
	Username            string `json:"username"`
	Status              string `json:"status"`
	Enabled             bool   `json:"enabled"`
	Email               string `json:"email"`
	EmailVerified       bool   `json:"email_verified"`
	PhoneNumberVerified bool   `json:"phone_number_verified"`
	Created             string `json:"created"`
	LastModified        string `json:"last_modified"`
}

type jsonlUsers struct{ enc *json.Encoder }

func newJSONLUsers(w io.Writer) *jsonlUsers {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonlUsers{enc: enc}
}

func (j *jsonlUsers) write(u User) error {
	return j.enc.Encode(record{u.Username, u.Status, u.Enabled, u.Email, u.EmailVerified, u.PhoneNumberVerified,
		exportTime(u.Created), exportTime(u.LastModified)})
}

func (j *jsonlUsers) flush() error { return nil }

// WriteError is an output that could not be written: what it holds is not
// the whole export.
type WriteError struct {
	Name string // the file written, or "standard output"
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("write %s: %v", e.Name, e.Err) }

func (e *WriteError) Unwrap() error { return e.Err }

// Output is where the users go: a stream, or FILE.partial renamed to FILE
// once the listing is complete, so that a file named FILE is always a whole
// export.
type Output struct {
	path, partial string
	file          *os.File
	buf           *bufio.Writer
	users         userWriter
}

// Create opens an export's output in format. With a path ("" and "-" are
// none) it writes path.partial, mode 0600 (the export holds e-mail
// addresses), which Commit renames to path; a path that exists is refused
// with an error that is fs.ErrExist, since an export is evidence of what
// was in the pool at a time and a rerun must not silently replace it.
// Without one it writes to w. Other errors are the file system's, or a
// *WriteError for the CSV header.
func Create(path string, format input.Format, w io.Writer) (*Output, error) {
	o := &Output{path: path}
	if path != "" && path != "-" {
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("%s: %w", path, iofs.ErrExist)
		} else if !errors.Is(err, iofs.ErrNotExist) {
			return nil, err
		}
		o.partial = path + ".partial"
		// A .partial left by an earlier cut listing is ours to overwrite.
		var err error
		if o.file, err = os.OpenFile(o.partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return nil, err
		}
		w = o.file
	}
	o.buf = bufio.NewWriterSize(w, 64<<10)
	if format == input.FormatJSONL {
		o.users = newJSONLUsers(o.buf)
		return o, nil
	}
	users, err := newCSVUsers(o.buf)
	o.users = users
	if err != nil {
		o.Abandon()
		return nil, &WriteError{Name: o.Name(), Err: err}
	}
	return o, nil
}

// Name is what the output is written as: the .partial file, or "standard
// output".
func (o *Output) Name() string {
	if o.partial != "" {
		return o.partial
	}
	return "standard output"
}

// Path is the file a committed export is found in, or "" on a stream.
func (o *Output) Path() string {
	if o.partial == "" {
		return ""
	}
	return o.path
}

// Partial is the file an export is written to until it is committed, or ""
// on a stream.
func (o *Output) Partial() string { return o.partial }

// Write writes one user; an error is a *WriteError.
func (o *Output) Write(u User) error {
	if err := o.users.write(u); err != nil {
		return &WriteError{Name: o.Name(), Err: err}
	}
	return nil
}

// Commit makes the export visible under its name: flushed, synced, renamed.
// An error is a *WriteError: the export is incomplete.
func (o *Output) Commit() error {
	err := o.users.flush()
	if err == nil {
		err = o.buf.Flush()
	}
	if o.file != nil {
		if err == nil {
			err = o.file.Sync()
		}
		if cerr := o.file.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(o.partial, o.path)
		}
	}
	if err != nil {
		return &WriteError{Name: o.Name(), Err: err}
	}
	return nil
}

// Abandon ends an export that is not complete. A file keeps what was
// written, for a look at where it stopped, under its .partial name. On a
// stream nothing more is sent: what a pipe already took cannot be taken
// back (the caller must say so), but it gets no more of a bad export.
func (o *Output) Abandon() {
	if o.file == nil {
		return
	}
	o.users.flush()
	o.buf.Flush()
	o.file.Close()
}

// Discard ends an export that must leave nothing behind (a usage error
// found once the listing started, such as a filter Cognito refuses on the
// first page): the .partial file is closed and removed. On a stream it is
// Abandon. An error is the file system's: the .partial may still be there.
func (o *Output) Discard() error {
	if o.file == nil {
		return nil
	}
	o.file.Close()
	if err := os.Remove(o.partial); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	return nil
}
