package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// lineReader returns physical lines of at most max bytes from a
// bufio.Reader. A longer line is skipped as it streams by, never held whole.
type lineReader struct {
	src  *bufio.Reader
	max  int
	buf  []byte // a line longer than src's buffer, assembled
	num  int    // number of the line last returned
	line []byte // the line last returned, without its line break
	long bool   // the line last returned was longer than max (line is nil)
}

// next reads the next line into l.line / l.long. It returns io.EOF after the
// last line (a last line without a line break is a line) or a read error.
func (l *lineReader) next() error {
	l.buf, l.line, l.long = l.buf[:0], nil, false
	n := 0 // bytes of the line so far
	for {
		chunk, err := l.src.ReadSlice('\n')
		n += len(chunk)
		if err == bufio.ErrBufferFull {
			if !l.long && n > l.max+2 { // +2: room for \r\n
				l.long, l.buf = true, l.buf[:0]
			}
			if !l.long {
				l.buf = append(l.buf, chunk...)
			}
			continue
		}
		if err != nil && err != io.EOF {
			return err
		}
		if n == 0 {
			return io.EOF
		}
		l.num++
		line := chunk
		if len(l.buf) > 0 {
			l.buf = append(l.buf, chunk...)
			line = l.buf
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > l.max {
			l.long = true
		}
		if !l.long {
			l.line = line
		}
		return nil
	}
}

func (r *Reader) startJSONL(maxRecord int) error {
	r.lines = lineReader{src: r.src, max: maxRecord}
	// Read up to the first line that is not blank: there is no header to
	// check, but empty input and a binary file are still told apart from
	// a manifest with bad rows.
	for {
		err := r.lines.next()
		if errors.Is(err, io.EOF) {
			return ErrEmpty
		}
		if err != nil {
			return fmt.Errorf("read manifest: %w", err)
		}
		if r.lines.long || len(bytes.Trim(r.lines.line, jsonSpace)) > 0 {
			break
		}
	}
	if bytes.IndexByte(r.lines.line, 0) >= 0 {
		return fmt.Errorf("%w: line %d holds NUL bytes", ErrNotText, r.lines.num)
	}
	r.pending = true
	return nil
}

func (r *Reader) nextJSONL() (Row, error) {
	for {
		if r.pending {
			r.pending = false
		} else if err := r.lines.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return Row{}, io.EOF
			}
			return Row{}, fmt.Errorf("read manifest: %w", err)
		}
		if r.lines.long {
			return Row{Line: r.lines.num, Err: errLineTooLong}, nil
		}
		line := bytes.Trim(r.lines.line, jsonSpace)
		if len(line) == 0 {
			continue // blank lines are allowed and still counted
		}
		return r.parseJSONLine(r.lines.num, line), nil
	}
}

// parseJSONLine maps one JSON object. encoding/json validates the line
// (fast, no allocation) and a small scanner then walks the top-level keys:
// unlike Unmarshal into a struct it sees unknown and repeated keys, lets a
// value have one of several types with a precise message otherwise, and
// slices every value out of a single string made of the line.
func (r *Reader) parseJSONLine(num int, line []byte) Row {
	row := Row{Line: num}
	if !json.Valid(line) {
		row.Err = jsonSyntaxError(line)
		return row
	}
	if line[0] != '{' {
		row.Err = fmt.Errorf("want a JSON object, got %s", jsonKind(line[0]))
		return row
	}
	s := string(line) // the one allocation: every value is a substring
	var (
		errs     fieldErrs
		seen     [nFields]bool
		unknown  []string
		dup      error
		extraErr error
		extraSet []bool // Options.Extra keys seen, made on the first
	)
	if len(r.opts.Extra) > 0 {
		row.Extra = make(map[string]string, len(r.opts.Extra))
	}
	i := 1
	for {
		i = skipSpace(s, i)
		if s[i] == '}' {
			break
		}
		kEnd, kEsc := scanString(s, i)
		key := s[i+1 : kEnd-1]
		if kEsc {
			key, _ = unescape(key)
		}
		i = skipSpace(s, kEnd) + 1 // past ':'
		i = skipSpace(s, i)
		vEnd := skipValue(s, i)
		val := s[i:vEnd]
		i = skipSpace(s, vEnd)
		if s[i] == ',' {
			i++
		}

		f := lookupField(key)
		if f == fNone {
			if x := r.extraIndex(key); x >= 0 {
				name := r.opts.Extra[x]
				if extraSet == nil {
					extraSet = make([]bool, len(r.opts.Extra))
				}
				if extraSet[x] && dup == nil {
					dup = fmt.Errorf("key %s appears twice", name)
				}
				extraSet[x] = true
				v, present, err := jsonExtra(name, val)
				if present {
					row.Extra[name] = v
				}
				if extraErr == nil {
					extraErr = err
				}
				continue
			}
			unknown = append(unknown, strings.TrimSpace(key))
			continue
		}
		if seen[f] && dup == nil {
			dup = fmt.Errorf("key %s appears twice", fieldNames[f])
		}
		seen[f] = true
		switch f {
		case fPermanent:
			row.Permanent, errs[f] = jsonPermanent(val)
		case fClientMetadata:
			row.ClientMetadata, errs[f] = jsonMetadata(val)
		default:
			var v string
			v, errs[f] = jsonString(fieldNames[f], val)
			row.setString(f, v)
		}
	}
	// A key close to a known one that the line lacks is a misspelling
	// (passwd): the row is refused rather than the key ignored, and the key
	// is not in the warning about ignored keys, which would contradict it.
	var near error
	ignored := unknown[:0]
	for _, name := range unknown {
		if f := nearField(name); f != fNone && !seen[f] {
			if near == nil {
				near = misspeltColumn("key", name, f)
			}
			continue
		}
		ignored = append(ignored, name)
	}
	r.unknown(ignored)
	// A repeated key is refused rather than resolved: which password a
	// tool would pick is not something to guess.
	row.Err = firstErr(firstErr(firstErr(dup, near), validate(&row, &errs, seen[fUsername])), extraErr)
	return row
}

// jsonExtra reads the value of an Options.Extra key: a string as its text, a
// boolean or a number as its JSON text; null is absent.
func jsonExtra(name, val string) (v string, present bool, err error) {
	switch val[0] {
	case 'n':
		return "", false, nil
	case '"':
		v, ok := unescape(val[1 : len(val)-1])
		if !ok {
			return v, true, fmt.Errorf("%s is not valid UTF-8", name)
		}
		return v, true, nil
	case '{', '[':
		return "", false, fmt.Errorf("%s: want a string, a boolean or a number, got %s", name, jsonKind(val[0]))
	}
	return val, true, nil
}

// jsonSyntaxError describes invalid JSON by position only: the text around
// the error may be part of a password.
func jsonSyntaxError(line []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(line, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// encoding/json's own text quotes the offending character.
		if se.Offset >= int64(len(line)) && strings.Contains(se.Error(), "unexpected end") {
			return errors.New("invalid JSON: the line ends early")
		}
		return fmt.Errorf("invalid JSON: syntax error at column %d", se.Offset)
	}
	return errors.New("invalid JSON")
}

func jsonKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// jsonString reads a string value (null means absent).
func jsonString(name, val string) (string, error) {
	switch val[0] {
	case 'n':
		return "", nil
	case '"':
		v, ok := unescape(val[1 : len(val)-1])
		if !ok {
			return v, fmt.Errorf("%s is not valid UTF-8", name)
		}
		return v, nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", name, jsonKind(val[0]))
}

// jsonPermanent reads permanent as a boolean, a string (as in CSV), 1 or 0.
func jsonPermanent(val string) (*bool, error) {
	switch val {
	case "true", "1":
		v := true
		return &v, nil
	case "false", "0":
		v := false
		return &v, nil
	case "null":
		return nil, nil
	}
	if val[0] == '"' {
		s, _ := unescape(val[1 : len(val)-1])
		return parsePermanent(s)
	}
	return nil, fmt.Errorf("permanent: want true or false, got %s", jsonKind(val[0]))
}

// jsonMetadata reads client_metadata as an object, or a string holding one
// (as in CSV).
func jsonMetadata(val string) (map[string]string, error) {
	switch val[0] {
	case 'n':
		return nil, nil
	case '"':
		s, ok := unescape(val[1 : len(val)-1])
		if !ok {
			return nil, errors.New("client_metadata is not valid UTF-8")
		}
		if strings.Trim(s, jsonSpace) == "" {
			return nil, nil
		}
		return parseMetadataJSON(s)
	}
	return parseMetadataJSON(val)
}

// jsonSpace is white space as JSON defines it.
const jsonSpace = " \t\r\n"

// The scanners below walk JSON that encoding/json has already validated,
// so they need no error paths.

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string starting at s[i] == '"'
// and whether it holds escapes.
func scanString(s string, i int) (end int, escaped bool) {
	for i++; ; i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i + 1, escaped
		}
	}
}

// skipValue returns the index after the value starting at s[i].
func skipValue(s string, i int) int {
	switch s[i] {
	case '"':
		end, _ := scanString(s, i)
		return end
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch s[i] {
			case '"':
				end, _ := scanString(s, i)
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(s) && !strings.ContainsRune(",}] \t\r\n", rune(s[i])) {
		i++
	}
	return i
}

// unescape decodes the inside of a JSON string. ok is false when the result
// would not be the text written: invalid UTF-8 or an unpaired surrogate
// escape (encoding/json would silently put U+FFFD in their place, and a
// password would change).
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, utf8.ValidString(s)
	}
	ok := utf8.ValidString(s)
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2 = hex4(s[i+3 : i+7])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					ok = false
				}
			}
			b = utf8.AppendRune(b, r)
		default: // " \ /
			b = append(b, s[i])
		}
	}
	return string(b), ok
}

func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
