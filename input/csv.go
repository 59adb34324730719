package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gocarina/gocsv"

	"cogpass/report"
)

// manifestRecord is one CSV row as gocsv maps it, from our own csv.Reader one
// record at a time (gocsv's channel API stops at the first bad row). Every
// column is a string: the reader parses permanent and client_metadata
// itself, for precise messages, and checks the field count before mapping
// (gocsv cannot tell a short record from empty cells).
type manifestRecord struct {
	Username         string `csv:"username"`
	Password         string `csv:"password"`
	Permanent        string `csv:"permanent"`
	ClientMetadata   string `csv:"client_metadata"`
	AccessToken      string `csv:"access_token"`
	PreviousPassword string `csv:"previous_password"`
	ProposedPassword string `csv:"proposed_password"`
	UserPoolID       string `csv:"user_pool_id"`
}

// oneRecord is a gocsv decoder over the manifest's header, normalised to
// our column names (so gocsv's package-wide header settings do not matter),
// and the record being read.
type oneRecord struct{ rows [2][]string }

func (o *oneRecord) GetCSVRows() ([][]string, error) { return o.rows[:], nil }

func (r *Reader) startCSV(maxRecord int) error {
	r.guard = &csvGuard{src: r.src, max: maxRecord, line: 1}
	r.csv = csv.NewReader(r.guard)
	r.csv.FieldsPerRecord = -1 // a wrong count is a bad row, not a fatal error
	r.csv.ReuseRecord = true
	r.csv.LazyQuotes = false

	if err := checkFirstLine(r.src); err != nil {
		return err
	}
	header, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return ErrEmpty
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if r.guard.cutAt(pe.StartLine) {
			return fmt.Errorf("%w: its header on line %d is longer than 1 MiB", ErrNotText, pe.StartLine)
		}
		return fmt.Errorf("manifest header on line %d: %s", pe.StartLine, describeParseError(pe))
	}
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	line, _ := r.csv.FieldPos(0)
	if r.guard.cutAt(line) {
		return fmt.Errorf("%w: its header on line %d is longer than 1 MiB", ErrNotText, line)
	}
	for _, name := range header {
		if !isText(name) {
			return fmt.Errorf("%w: its header on line %d holds binary data", ErrNotText, line)
		}
	}

	r.cols = make([]field, len(header))
	r.record.rows[0] = make([]string, len(header)) // our names; "" for columns not mapped
	r.mapped = make([]manifestRecord, 1)
	r.userCol = -1
	var seen [nFields]bool
	var unknown []string
	if len(r.opts.Extra) > 0 {
		r.extraOf = make([]int, len(header))
	}
	extraSeen := make([]bool, len(r.opts.Extra))
	for i, name := range header {
		f := lookupField(name)
		r.cols[i] = f
		if f != fNone {
			r.record.rows[0][i] = fieldNames[f]
		}
		if r.extraOf != nil {
			r.extraOf[i] = -1
			if f == fNone {
				if x := r.extraIndex(name); x >= 0 {
					if extraSeen[x] {
						return fmt.Errorf("manifest header has the column %s twice", r.opts.Extra[x])
					}
					extraSeen[x], r.extraOf[i] = true, x
					continue
				}
			}
		}
		switch {
		case f == fNone:
			unknown = append(unknown, strings.TrimSpace(name))
		case seen[f]:
			return fmt.Errorf("manifest header has the column %s twice", fieldNames[f])
		}
		seen[f] = true
		if f == fUsername {
			r.userCol = i
		}
	}
	// A column close to a known one that the header lacks is a misspelling
	// (passwd, user_name): refused, not ignored. When the header has the
	// known column too, the other is some column of the operator's own.
	var misspelt error
	for _, name := range unknown {
		if f := nearField(name); f != fNone && !seen[f] {
			if f == fUsername && r.userCol < 0 {
				return fmt.Errorf("%w (header: %s): %w", ErrNoUsername, headerList(header), misspeltColumn("column", name, f))
			}
			if misspelt == nil {
				misspelt = misspeltColumn("column", name, f)
			}
		}
	}
	if r.userCol < 0 {
		return fmt.Errorf("%w (header: %s)", ErrNoUsername, headerList(header))
	}
	if misspelt != nil {
		return misspelt
	}
	r.unknown(unknown)
	return nil
}

func (r *Reader) nextCSV() (Row, error) {
	rec, err := r.csv.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) || (pe.Err != csv.ErrQuote && pe.Err != csv.ErrBareQuote) {
			return Row{}, fmt.Errorf("read manifest: %w", err)
		}
		// encoding/csv has dropped the rest of the line; the next Read
		// starts on the line after it.
		row := Row{Line: pe.StartLine, Err: errors.New(describeParseError(pe))}
		if r.guard.cutAt(pe.StartLine) {
			row.Err = errRecordTooLong
		}
		// rec holds the fields complete before the error.
		if r.userCol < len(rec) {
			row.Username = rec[r.userCol]
		}
		return row, nil
	}
	line, _ := r.csv.FieldPos(0)
	row := Row{Line: line}
	// A short record's Extra has only the fields it has: a column it stops
	// before is absent, not empty (the seeder gives an absent email its
	// default, an empty one none).
	have := len(rec)
	if r.opts.ShortRecords && len(rec) < len(r.cols) && !r.guard.cutAt(line) {
		rec = append(rec, make([]string, len(r.cols)-len(rec))...)
	}
	if r.extraOf != nil {
		// encoding/csv makes new strings for every record, ReuseRecord or
		// not: they may be kept.
		row.Extra = make(map[string]string, len(r.opts.Extra))
		for i, x := range r.extraOf {
			if x >= 0 && i < have {
				row.Extra[r.opts.Extra[x]] = report.Restore(rec[i])
			}
		}
	}
	var errs fieldErrs
	if len(rec) == len(r.cols) {
		r.record.rows[1] = rec
		if err := gocsv.UnmarshalDecoder(&r.record, &r.mapped); err != nil {
			return Row{}, fmt.Errorf("map manifest line %d: %w", line, err)
		}
		c := r.mapped[0]
		// A username that cogpass neutralised against spreadsheet formulas
		// (an export, a report) is read back as the user's name.
		row.Username, row.Password, row.AccessToken = report.Restore(c.Username), c.Password, c.AccessToken
		row.PreviousPassword, row.ProposedPassword, row.UserPoolID = c.PreviousPassword, c.ProposedPassword, c.UserPoolID
		row.Permanent, errs[fPermanent] = parsePermanent(c.Permanent)
		if strings.Trim(c.ClientMetadata, jsonSpace) != "" {
			row.ClientMetadata, errs[fClientMetadata] = parseMetadataJSON(c.ClientMetadata)
		}
	} else if r.userCol < len(rec) {
		row.Username = report.Restore(rec[r.userCol])
	}
	switch {
	case r.guard.cutAt(line):
		// The last field was cut short: do not show it as the username.
		if r.userCol >= len(rec)-1 {
			row.Username = ""
		}
		row.Err = errRecordTooLong
	case len(rec) != len(r.cols):
		row.Err = fmt.Errorf("has %d fields, the header has %d", len(rec), len(r.cols))
	default:
		row.Err = validate(&row, &errs, true)
	}
	return row, nil
}

// checkFirstLine looks at the start of the input before encoding/csv does,
// so that a binary file or a JSON Lines file gets a message that says so
// instead of a quoting error.
func checkFirstLine(src *bufio.Reader) error {
	head, _ := src.Peek(4096)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	} else {
		// Do not call a UTF-8 sequence cut by the peek invalid.
		for j := 0; j < utf8.UTFMax && j < len(head); j++ {
			if utf8.RuneStart(head[len(head)-1-j]) {
				if !utf8.FullRune(head[len(head)-1-j:]) {
					head = head[:len(head)-1-j]
				}
				break
			}
		}
	}
	switch {
	case bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head):
		return fmt.Errorf("%w: its first line holds binary data", ErrNotText)
	case len(head) > 0 && head[0] == '{':
		return errors.New("manifest looks like JSON Lines, not CSV: name it .jsonl or pass --manifest-format jsonl")
	}
	return nil
}

func describeParseError(pe *csv.ParseError) string {
	return fmt.Sprintf("%v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
}

// isText reports whether a header name is printable text: valid UTF-8
// without control characters other than tab.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// headerList renders header names for a message, cut to a readable length.
func headerList(header []string) string {
	var b strings.Builder
	for i, name := range header {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() > 200 {
			fmt.Fprintf(&b, "... (%d columns)", len(header))
			break
		}
		b.WriteString(shorten(strings.TrimSpace(name), maxUnknownNameLen))
	}
	return b.String()
}

// csvGuard sits between the manifest and encoding/csv and caps the size of
// a record, which encoding/csv does not: a 10 MB line, or a quote that is
// never closed in a million-row file, would otherwise be read whole into
// memory. It follows encoding/csv's parser state byte by byte (LazyQuotes
// off, no comments, comma separator), including how it skips the rest of a
// line after a syntax error, so it knows where each record ends. When a
// record grows past max bytes it closes the record early (a closing quote
// if a quoted field is open), drops the rest of it while passing its line
// breaks through so that encoding/csv's line numbers stay exact (the extra
// empty lines are skipped by encoding/csv), and remembers the record's start
// line so that Next turns the truncated record into a bad row.
type csvGuard struct {
	src     io.Reader
	max     int
	state   csvState
	discard bool
	size    int   // bytes of the current record so far
	line    int   // current physical line, 1-based
	start   int   // line where the current record starts
	cuts    []int // start lines of truncated records, in order
}

type csvState uint8

const (
	stRecord   csvState = iota // between records; empty lines are skipped
	stField                    // start of a field after a comma
	stUnquoted                 // in a field without quotes
	stQuoted                   // in a quoted field
	stQuote                    // quote in a quoted field: closing, or first of ""
	stQuoteCR                  // quote then \r: closing if \n follows
	stSkip                     // after a syntax error: encoding/csv drops the rest of the line
)

func (g *csvGuard) Read(p []byte) (int, error) {
	for {
		n, err := g.src.Read(p)
		if w := g.filter(p[:n]); w > 0 || err != nil || n == 0 {
			return w, err
		}
	}
}

// filter runs b through the state machine and compacts in place what
// encoding/csv should see; it never outputs more bytes than it consumes.
func (g *csvGuard) filter(b []byte) int {
	w := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		prev := g.state
		end := g.step(c)
		if c == '\n' {
			g.line++
		}
		if g.discard {
			if c == '\n' {
				b[w] = '\n'
				w++
			}
			if end {
				g.discard = false
			}
			continue
		}
		if end || g.state == stRecord {
			b[w] = c
			w++
			continue
		}
		g.size++
		// A cut replaces the byte with at most one closing quote, so it
		// is never made on a line break, which must pass through.
		if g.size > g.max && c != '\n' {
			g.cuts = append(g.cuts, g.start)
			g.discard = true
			if prev == stQuoted {
				b[w] = '"' // replaces c, so w stays <= i
				w++
			}
			continue
		}
		b[w] = c
		w++
	}
	return w
}

// step advances the state with byte c and reports whether c ended a record.
func (g *csvGuard) step(c byte) bool {
	switch g.state {
	case stRecord:
		if c == '\n' {
			return false // empty line
		}
		g.start, g.size = g.line, 0
		g.state = stField
		return g.step(c)
	case stField:
		switch c {
		case '"':
			g.state = stQuoted
		case ',':
		case '\n':
			g.state = stRecord
			return true
		default:
			g.state = stUnquoted
		}
	case stUnquoted:
		switch c {
		case ',':
			g.state = stField
		case '\n':
			g.state = stRecord
			return true
		case '"':
			g.state = stSkip // bare quote
		}
	case stQuoted:
		if c == '"' {
			g.state = stQuote
		}
	case stQuote:
		switch c {
		case '"':
			g.state = stQuoted
		case ',':
			g.state = stField
		case '\n':
			g.state = stRecord
			return true
		case '\r':
			g.state = stQuoteCR
		default:
			g.state = stSkip // extraneous quote
		}
	case stQuoteCR:
		if c == '\n' {
			g.state = stRecord
			return true
		}
		g.state = stSkip
	case stSkip:
		if c == '\n' {
			g.state = stRecord
			return true
		}
	}
	return false
}

// cutAt reports whether the record encoding/csv returned as starting on
// line was truncated. The guard reads ahead of encoding/csv, so later cuts
// stay queued; a record matches the oldest cut at or before its start (the
// guard may count empty lines before a record as its start).
func (g *csvGuard) cutAt(line int) bool {
	cut := false
	for len(g.cuts) > 0 && g.cuts[0] <= line {
		g.cuts = g.cuts[1:]
		cut = true
	}
	return cut
}
