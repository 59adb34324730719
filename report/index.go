package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
)

// maxIndexLine bounds the line numbers the index accepts. A corrupt row
// claiming line 10^15 must not allocate terabytes: 2^28 lines (a 32 MiB
// bitmap, a 100-day job at Cognito's default quota) is far beyond any real
// manifest; larger numbers count as bad rows.
const maxIndexLine = 1 << 28

// maxRowBytes is the longest report line the index reads; longer lines are
// bad rows. The writer clips fields (see clipField) so its rows stay far
// below it.
const maxRowBytes = 64 << 10

// Index says which manifest lines a previous run of the job has finished. It
// holds two bitmaps of line numbers (2 bits per manifest line: 250 KB for a
// million lines), never usernames.
type Index struct {
	final     bitmap // last outcome succeeded/skipped, or failed with a non-retryable code
	failed    bitmap // last outcome failed
	writeDone bitmap // last outcome failed in the sign-out after a successful write
	rows      int
	bad       int
	truncated bool
}

// LoadIndex reads the report at path (CSV or JSONL by extension, as Create
// chose) and returns which lines are done. It streams the file and keeps no
// per-row state beyond the bitmaps. Later rows for a line override earlier
// ones (a resumed job appends). A final row without '\n' is a crash
// artifact: it is ignored, as Append cuts it. Lines that do not parse as
// report rows are skipped and counted (BadRows).
//
// retryable decides whether a failed row's error_code may succeed when sent
// again (throttling, faults, job-fatal errors such as expired credentials);
// such rows are not final. A nil retryable treats every failure as
// retryable: sending a permanent failure again costs one call, skipping a
// retryable one would lose a user.
func LoadIndex(reportPath string, retryable func(errorCode string) bool) (*Index, error) {
	f, err := os.Open(reportPath)
	if err != nil {
		return nil, fmt.Errorf("open report for resume: %w", err)
	}
	defer f.Close()
	ix, err := loadIndex(f, FormatOf(reportPath), retryable, maxIndexLine)
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", reportPath, err)
	}
	return ix, nil
}

// Final reports whether line must not be sent again: its last outcome is
// final and, with retryFailed, it did not fail.
func (ix *Index) Final(line int, retryFailed bool) bool {
	if line < 0 || !ix.final.get(line) {
		return false
	}
	return !(retryFailed && ix.failed.get(line))
}

// WriteDone reports whether line's last row failed in the sign-out that
// follows a successful write (signed_out false): a resumed run sends only
// the sign-out for it, never the write again.
func (ix *Index) WriteDone(line int) bool {
	return line > 0 && ix.writeDone.get(line)
}

// Count is the number of lines with a final outcome (Final(line, false)).
func (ix *Index) Count() int { return ix.final.count() }

// CountFinal is the number of lines for which Final(line, retryFailed) is
// true: the rows a resumed run will skip.
func (ix *Index) CountFinal(retryFailed bool) int {
	if !retryFailed {
		return ix.final.count()
	}
	n := 0
	for i, w := range ix.final {
		if i < len(ix.failed) {
			w &^= ix.failed[i]
		}
		n += bits.OnesCount64(w)
	}
	return n
}

// CountFailedKept is the number of lines whose last outcome failed and that
// a resumed run will not send again (Final(line, retryFailed) and failed):
// the job's failures an earlier run left, which still count when the
// resumed run decides whether the job had failed rows. With retryFailed
// every failed line is sent again, so none is kept.
func (ix *Index) CountFailedKept(retryFailed bool) int {
	if retryFailed {
		return 0
	}
	n := 0
	for i, w := range ix.final {
		if i < len(ix.failed) {
			n += bits.OnesCount64(w & ix.failed[i])
		}
	}
	return n
}

// Rows is the number of report rows read.
func (ix *Index) Rows() int { return ix.rows }

// BadRows is the number of lines skipped because they are not report rows
// (corruption, hand edits, out-of-range line numbers, over-long lines).
func (ix *Index) BadRows() int { return ix.bad }

// Truncated reports whether the report ended in an unterminated row, which
// was ignored.
func (ix *Index) Truncated() bool { return ix.truncated }

// bitmap is a growable set of non-negative ints.
type bitmap []uint64

func (b bitmap) get(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

func (b *bitmap) set(i int) {
	w := i >> 6
	if w >= len(*b) {
		if w < cap(*b) {
			*b = (*b)[:w+1]
		} else {
			nb := make(bitmap, w+1, max(w+1, 2*cap(*b), 64))
			copy(nb, *b)
			*b = nb
		}
	}
	(*b)[w] |= 1 << (uint(i) & 63)
}

func (b bitmap) clear(i int) {
	if w := i >> 6; w < len(b) {
		b[w] &^= 1 << (uint(i) & 63)
	}
}

func (b bitmap) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// trim drops the growth headroom so a loaded index holds exactly its size.
func (b bitmap) trim() bitmap {
	if cap(b)-len(b) <= len(b)/16 {
		return b
	}
	nb := make(bitmap, len(b))
	copy(nb, b)
	return nb
}

// outcome kinds as the index sees them.
type kind int8

const (
	kindBad kind = iota
	kindDone
	kindFailed
	kindPlanned
)

func outcomeKind(b []byte) kind {
	switch string(b) {
	case string(Succeeded), string(Skipped):
		return kindDone
	case string(Failed):
		return kindFailed
	case string(Planned):
		return kindPlanned
	}
	return kindBad
}

// loader holds the reusable state of one LoadIndex call.
type loader struct {
	ix        *Index
	retryable func(string) bool
	maxLine   int
	codes     []string // error codes seen, with their retryable verdict,
	retry     []bool   // so that a million failed rows do not allocate
	// CSV column positions and scratch for unquoting
	col     [4]int // line, outcome, error_code, signed_out
	ncols   int
	scratch [4][]byte
}

func loadIndex(r io.Reader, format Format, retryable func(string) bool, maxLine int) (*Index, error) {
	l := &loader{ix: &Index{}, retryable: retryable, maxLine: maxLine}
	l.col = [4]int{0, 3, 4, 10}
	l.ncols = len(Columns)
	br := bufio.NewReaderSize(r, maxRowBytes)
	first := true
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// Over-long line: skip to its end.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == nil {
				l.ix.bad++
				first = false
				continue
			}
			if errors.Is(err, io.EOF) {
				l.ix.truncated = true
				return l.finish(), nil
			}
			return nil, err
		case errors.Is(err, io.EOF):
			if len(line) > 0 {
				l.ix.truncated = true
			}
			return l.finish(), nil
		case err != nil:
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if first {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if format == JSONL {
			l.jsonRow(line)
			first = false
			continue
		}
		if first {
			first = false
			if l.csvHeader(line) {
				continue
			}
		}
		l.csvRow(line)
	}
}

func (l *loader) finish() *Index {
	l.ix.final = l.ix.final.trim()
	l.ix.failed = l.ix.failed.trim()
	l.ix.writeDone = l.ix.writeDone.trim()
	return l.ix
}

// apply records the outcome of one row.
func (l *loader) apply(lineNo []byte, outcome []byte, code []byte, signedOut []byte) {
	n, ok := parseLineNumber(lineNo, l.maxLine)
	k := outcomeKind(outcome)
	if !ok || k == kindBad {
		l.ix.bad++
		return
	}
	l.ix.rows++
	ix := l.ix
	switch k {
	case kindDone:
		ix.final.set(n)
		ix.failed.clear(n)
		ix.writeDone.clear(n)
	case kindFailed:
		ix.failed.set(n)
		if string(signedOut) == SignedOutNo {
			ix.writeDone.set(n)
		} else {
			ix.writeDone.clear(n)
		}
		if l.isRetryable(code) {
			ix.final.clear(n)
		} else {
			ix.final.set(n)
		}
	case kindPlanned:
		ix.final.clear(n)
		ix.failed.clear(n)
		ix.writeDone.clear(n)
	}
}

func (l *loader) isRetryable(code []byte) bool {
	if l.retryable == nil {
		return true
	}
	for i, c := range l.codes {
		if string(code) == c {
			return l.retry[i]
		}
	}
	c := string(code)
	v := l.retryable(c)
	if len(l.codes) < 256 { // a hostile file may hold endless distinct codes
		l.codes = append(l.codes, c)
		l.retry = append(l.retry, v)
	}
	return v
}

// parseLineNumber parses a positive decimal line number up to limit.
func parseLineNumber(b []byte, limit int) (int, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, false
		}
	}
	return n, n > 0
}

// csvHeader recognises a header line and takes the column positions from
// it. A first line that is not a header is read as a row.
func (l *loader) csvHeader(line []byte) bool {
	col := [4]int{-1, -1, -1, -1}
	n := 0
	ok := splitCSV(line, func(i int, field []byte) {
		n++
		switch string(field) {
		case "line":
			col[0] = i
		case "outcome":
			col[1] = i
		case "error_code":
			col[2] = i
		case "signed_out":
			col[3] = i
		}
	})
	if !ok || col[0] < 0 || col[1] < 0 {
		return false
	}
	l.col, l.ncols = col, n
	return true
}

func (l *loader) csvRow(line []byte) {
	var got [4][]byte
	n := 0
	ok := splitCSV(line, func(i int, field []byte) {
		n++
		for j, c := range l.col {
			if c == i {
				// field may live in splitCSV's view of line only; copy
				// unquoted values into per-column scratch.
				l.scratch[j] = append(l.scratch[j][:0], field...)
				got[j] = l.scratch[j]
			}
		}
	})
	if !ok || n != l.ncols {
		l.ix.bad++
		return
	}
	l.apply(got[0], got[1], got[2], got[3])
}

// splitCSV walks the fields of one CSV record that has no line breaks, as
// encoding/csv would read it (quotes must close, no bare quote in an
// unquoted field), calling fn with each field's value. The value passed
// for a quoted field with doubled quotes is unescaped in a buffer that fn
// must not keep.
func splitCSV(line []byte, fn func(i int, field []byte)) bool {
	var unq []byte
	for i, field := 0, 0; ; field++ {
		var val []byte
		if i < len(line) && line[i] == '"' {
			i++
			start := i
			esc := false
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return false
				}
				i += j + 1
				if i < len(line) && line[i] == '"' {
					esc = true
					i++
					continue
				}
				break
			}
			val = line[start : i-1]
			if esc {
				unq = unq[:0]
				for k := 0; k < len(val); k++ {
					unq = append(unq, val[k])
					if val[k] == '"' {
						k++
					}
				}
				val = unq
			}
			if i < len(line) && line[i] != ',' {
				return false
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			val = line[i : i+j]
			i += j
			if bytes.IndexByte(val, '"') >= 0 {
				return false
			}
		}
		fn(field, val)
		if i >= len(line) {
			return true
		}
		i++ // the comma
	}
}

// jsonRow reads one JSONL row. Rows written by this package parse on a fast
// path without allocating; other valid JSON objects (escaped values, nested
// values under other keys) are handled too, at some cost.
func (l *loader) jsonRow(line []byte) {
	var fields [4][]byte // line, outcome, error_code, signed_out as raw tokens
	s := jscan{b: line}
	s.ws()
	if !s.eat('{') {
		l.ix.bad++
		return
	}
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			key, kesc, ok := s.str()
			if !ok {
				l.ix.bad++
				return
			}
			s.ws()
			if !s.eat(':') {
				l.ix.bad++
				return
			}
			s.ws()
			start := s.i
			if !s.value(0) {
				l.ix.bad++
				return
			}
			tok := s.b[start:s.i]
			if kesc {
				if k, ok := unquoteJSON(key); ok {
					key = k
				}
			}
			switch string(key) {
			case "line":
				fields[0] = tok
			case "outcome":
				fields[1] = tok
			case "error_code":
				fields[2] = tok
			case "signed_out":
				fields[3] = tok
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if s.eat('}') {
				break
			}
			l.ix.bad++
			return
		}
	}
	s.ws()
	if s.i != len(s.b) || fields[0] == nil || fields[1] == nil {
		l.ix.bad++
		return
	}
	outcome, ok1 := jsonStringValue(fields[1])
	code, ok2 := []byte(nil), true
	if fields[2] != nil && string(fields[2]) != "null" {
		code, ok2 = jsonStringValue(fields[2])
	}
	if !ok1 || !ok2 {
		l.ix.bad++
		return
	}
	var signedOut []byte
	if fields[3] != nil && string(fields[3]) != "null" {
		if signedOut, ok1 = jsonStringValue(fields[3]); !ok1 {
			l.ix.bad++
			return
		}
	}
	l.apply(fields[0], outcome, code, signedOut)
}

// jsonStringValue returns the content of a JSON string token, unescaped.
func jsonStringValue(tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '"' {
		return nil, false
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	return unquoteJSON(inner)
}

// unquoteJSON unescapes the content of a JSON string (rare: this package
// never escapes keys, outcomes or codes).
func unquoteJSON(inner []byte) ([]byte, bool) {
	var s string
	q := make([]byte, 0, len(inner)+2)
	q = append(append(append(q, '"'), inner...), '"')
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// jscan is a minimal JSON syntax scanner over one line.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str scans a string and returns its raw content and whether it has escapes.
func (s *jscan) str() (inner []byte, esc bool, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], esc, true
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return nil, false, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				s.i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			s.i++
		}
	}
	return nil, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value scans any JSON value; depth bounds nesting so hostile input cannot
// recurse deeply.
func (s *jscan) value(depth int) bool {
	if s.i >= len(s.b) || depth > 64 {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '{':
		s.i++
		s.ws()
		if s.eat('}') {
			return true
		}
		for {
			s.ws()
			if _, _, ok := s.str(); !ok {
				return false
			}
			s.ws()
			if !s.eat(':') {
				return false
			}
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.eat(']') {
			return true
		}
		for {
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	}
	return false
}

func (s *jscan) lit(word string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jscan) number() bool {
	s.eat('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.eat('0') {
		// no more integer digits after a leading zero
	} else if digits() == 0 {
		return false
	}
	if s.eat('.') && digits() == 0 {
		return false
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if !s.eat('+') {
			s.eat('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
