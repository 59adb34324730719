// Package report writes the per-row result report of a job, the secrets file
// that holds generated passwords, and reads a report back as a resume index.
//
// The report is the job's durable state: --resume reads it (LoadIndex) to know
// which manifest lines are done, so every row must reach the OS before Write
// returns and the file must stay parseable after a crash at any byte. Two
// rules make that cheap:
//
//   - every record is exactly one physical line ending in '\n' (CSV fields
//     have CR and LF escaped, JSON escapes them anyway), so a crash can only
//     leave an unterminated tail, which Append cuts and LoadIndex ignores;
//   - rows are written with one write(2) each under a mutex, so concurrent
//     workers never interleave bytes of two rows.
package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Outcome is what happened to one manifest row.
type Outcome string

// The outcomes a report row can carry.
const (
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
	Skipped   Outcome = "skipped"
	Planned   Outcome = "planned" // dry run: what would happen; never final for resume
)

// Row is one line of the report.
type Row struct {
	Line       int // manifest line number (1-based physical line where the record starts)
	Username   string
	Action     string // set-temporary, set-permanent, reset, change
	Outcome    Outcome
	ErrorCode  string // Cognito's code or a cogpass code such as InvalidManifestRow
	Message    string
	Attempts   int
	UserStatus string
	DurationMS int64
	FinishedAt time.Time // written in UTC, RFC 3339 with milliseconds
	// SignedOut is "true" when the job signed the user out after its write
	// (--sign-out), "false" when the write succeeded and the sign-out did
	// not (a resumed run sends only the sign-out), and empty when no
	// sign-out was asked for or the write was not made.
	SignedOut string
}

// The values of Row.SignedOut.
const (
	SignedOutYes = "true"
	SignedOutNo  = "false"
)

// Columns is the report's column (CSV) and key (JSONL) order.
var Columns = []string{"line", "username", "action", "outcome", "error_code", "message", "attempts", "user_status", "duration_ms", "finished_at", "signed_out"}

// csvHeader is the first line of a CSV report.
var csvHeader = strings.Join(Columns, ",") + "\n"

// timeLayout is RFC 3339 with a fixed millisecond fraction: sortable as text
// and precise enough to order rows of a 10,000 rows/s job.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Format is the encoding of a report file.
type Format int

// The report encodings.
const (
	CSV Format = iota
	JSONL
)

func (f Format) String() string {
	if f == JSONL {
		return "jsonl"
	}
	return "csv"
}

// FormatOf picks the encoding from the file name: .jsonl and .ndjson (any
// case) are JSON Lines, anything else is CSV.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return JSONL
	}
	return CSV
}

// Writer appends rows to a report file. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	format Format
	buf    []byte   // the row being encoded; one write(2) per row
	rec    []string // reused CSV record
	cw     *csv.Writer
	cbuf   bytes.Buffer // csv.Writer's destination, drained into buf
	err    error        // sticky: after a failed write the file may hold a partial row
	closed bool
}

// Create creates a new report at path and writes the CSV header. It refuses
// an existing file: a report is the record of a job that touched real users,
// and overwriting it would lose that record and break --resume.
func Create(path string) (*Writer, error) {
	// Mode 0600: usernames are often e-mail addresses.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("report %s already exists: refusing to overwrite it (continue that job with --resume, or choose another --report): %w", path, err)
		}
		return nil, fmt.Errorf("create report: %w", err)
	}
	if err := holdOutput(f, "report", path); err != nil {
		f.Close()
		return nil, err
	}
	w := newWriter(f, path)
	if w.format == CSV {
		if _, err := f.WriteString(csvHeader); err != nil {
			f.Close()
			return nil, fmt.Errorf("write report header %s: %w", path, err)
		}
	}
	return w, nil
}

// Append opens an existing report to continue a job (--resume). A crash can
// leave an unterminated last row; Append cuts everything after the last '\n'
// so that new rows start on a fresh line (LoadIndex ignores that tail too, so
// its line is treated as never reached and is sent again). A CSV report keeps
// its single header; one that lost even its header gets it written again. A
// missing file is an error wrapping fs.ErrNotExist: there is nothing to resume.
func Append(path string) (*Writer, error) {
	f, err := openOwned(path, "report", false) // no link, owner, regular
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("report %s does not exist: nothing to resume: %w", path, err)
		}
		return nil, fmt.Errorf("open report for resume: %w", err)
	}
	w := newWriter(f, path)
	var header []byte
	if w.format == CSV {
		header = []byte(csvHeader)
	}
	if err := cutPartialTail(f, header); err != nil {
		f.Close()
		return nil, fmt.Errorf("resume report %s: %w", path, err)
	}
	return w, nil
}

func newWriter(f *os.File, path string) *Writer {
	w := &Writer{f: f, path: path, format: FormatOf(path), buf: make([]byte, 0, 512)}
	if w.format == CSV {
		w.rec = make([]string, len(Columns))
		w.cw = csv.NewWriter(&w.cbuf)
	}
	return w
}

// cutPartialTail truncates f after its last '\n' and, when header is given
// and the file is left empty, writes it. A non-empty file whose first line is
// not header is refused: resuming into some other CSV would corrupt it.
func cutPartialTail(f *os.File, header []byte) error {
	end, err := lastNewlineEnd(f)
	if err != nil {
		return err
	}
	// Check before cutting anything: a foreign file must be left as it was.
	if header != nil && end > 0 && !hasHeader(f, header) {
		return fmt.Errorf("first line is not the header %q: not a cogpass report", strings.TrimSpace(string(header)))
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if end != fi.Size() {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("cut truncated last row: %w", err)
		}
	}
	if header != nil && end == 0 {
		if _, err := f.Write(header); err != nil {
			return fmt.Errorf("write header: %w", err)
		}
	}
	return nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// hasHeader reports whether f starts with header, optionally after a UTF-8
// BOM (a spreadsheet may have added one).
func hasHeader(f *os.File, header []byte) bool {
	b := make([]byte, len(header)+len(utf8BOM))
	n, _ := f.ReadAt(b, 0)
	b = b[:n]
	b = bytes.TrimPrefix(b, utf8BOM)
	if !bytes.HasPrefix(b, header[:len(header)-1]) {
		return false
	}
	rest := b[len(header)-1:]
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r'
}

// lastNewlineEnd returns the offset just after the last '\n' of f (0 when
// there is none), reading backwards in blocks so a huge report costs little.
func lastNewlineEnd(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	const block = 64 << 10
	buf := make([]byte, block)
	for end := fi.Size(); end > 0; {
		start := max(end-block, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read report: %w", err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// Path is the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Format is the writer's encoding.
func (w *Writer) Format() Format { return w.format }

// Write appends one row with a single write(2): when it returns nil the row
// is in the OS page cache and survives a crash of this process (Sync makes it
// survive a crash of the machine). After a failed write every later Write
// fails too, since the file may now end in a partial row.
//
// In a CSV report the cells that come from the manifest or the pool
// (username, error_code, message, user_status) are neutralised against
// spreadsheet formula injection (see Neutralise); Restore gives the exact
// value back, and the manifest reader applies it to usernames. A JSON
// Lines report holds the exact values.
func (w *Writer) Write(r Row) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("write report %s: %w", w.path, fs.ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	r.Username = clip(r.Username, maxNameBytes)
	r.Action = clip(r.Action, maxNameBytes)
	r.ErrorCode = clip(r.ErrorCode, maxNameBytes)
	r.UserStatus = clip(r.UserStatus, maxNameBytes)
	r.SignedOut = clip(r.SignedOut, maxNameBytes)
	r.Message = clip(r.Message, maxMessageBytes)
	var err error
	if w.format == JSONL {
		w.buf = appendJSONRow(w.buf[:0], &r)
	} else {
		w.buf, err = w.appendCSVRow(w.buf[:0], &r)
		if err != nil {
			return fmt.Errorf("encode report row for line %d: %w", r.Line, err)
		}
	}
	if _, err := w.f.Write(w.buf); err != nil {
		w.err = fmt.Errorf("write report %s: %w", w.path, err)
		return w.err
	}
	return nil
}

// appendCSVRow encodes r with encoding/csv (quoting as any CSV reader
// expects). CR and LF are escaped as the two characters \r and \n so that a
// record never spans lines (see the package comment); legitimate usernames
// cannot contain them and messages lose nothing a reader needs.
func (w *Writer) appendCSVRow(dst []byte, r *Row) ([]byte, error) {
	w.rec[0] = strconv.Itoa(r.Line)
	w.rec[1] = Neutralise(oneLine(r.Username))
	w.rec[2] = oneLine(r.Action)
	w.rec[3] = oneLine(string(r.Outcome))
	w.rec[4] = Neutralise(oneLine(r.ErrorCode))
	w.rec[5] = Neutralise(oneLine(r.Message))
	w.rec[6] = strconv.Itoa(r.Attempts)
	w.rec[7] = Neutralise(oneLine(r.UserStatus))
	w.rec[8] = strconv.FormatInt(r.DurationMS, 10)
	w.rec[9] = formatTime(r.FinishedAt)
	w.rec[10] = oneLine(r.SignedOut)
	w.cbuf.Reset()
	if err := w.cw.Write(w.rec); err != nil {
		return dst, err
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return dst, err
	}
	clear(w.rec) // do not keep the row's strings alive until the next Write
	return append(dst, w.cbuf.Bytes()...), nil
}

// Field limits. Cognito usernames are at most 128 characters and its
// messages short; only a bad manifest row (a 10 MB "username") comes near
// them. Clipping keeps every row, even fully escaped, far below the 64 KiB
// line limit of the resume index.
const (
	maxNameBytes    = 512
	maxMessageBytes = 2048
)

// clip cuts s to at most n bytes on a rune boundary, marking the cut with
// an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

var lineEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return lineEscaper.Replace(s)
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// appendJSONRow writes r as one JSON object and a newline, keys in Columns
// order. Hand-written because encoding/json's reflection would be most of the
// cost of a row.
func appendJSONRow(b []byte, r *Row) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = append(b, `,"username":`...)
	b = appendJSONString(b, r.Username)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, r.Action)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, string(r.Outcome))
	b = append(b, `,"error_code":`...)
	b = appendJSONString(b, r.ErrorCode)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, r.Message)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = append(b, `,"user_status":`...)
	b = appendJSONString(b, r.UserStatus)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendInt(b, r.DurationMS, 10)
	b = append(b, `,"finished_at":"`...)
	if !r.FinishedAt.IsZero() {
		b = r.FinishedAt.UTC().AppendFormat(b, timeLayout)
	}
	b = append(b, `","signed_out":`...)
	b = appendJSONString(b, r.SignedOut)
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// ", \ and control characters escaped, invalid UTF-8 replaced by U+FFFD, and
// U+2028/U+2029 escaped so the line is also valid JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Sync flushes the file to stable storage (fsync).
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync report %s: %w", w.path, err)
	}
	return nil
}

// Close fsyncs and closes the file. Rows are already written by Write, so
// there is nothing to flush. Closing twice is a no-op.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	serr := w.f.Sync()
	cerr := w.f.Close()
	if serr != nil {
		return fmt.Errorf("sync report %s: %w", w.path, serr)
	}
	if cerr != nil {
		return fmt.Errorf("close report %s: %w", w.path, cerr)
	}
	return nil
}
