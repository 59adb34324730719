package input

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// drain reads every row, checking what holds for any input: Next ends,
// every row has a line, lines go up.
func drain(t *testing.T, rd *Reader, inputLen int) []Row {
	t.Helper()
	var rows []Row
	last := 0
	// Every row takes at least one line break or the end of input.
	for i := 0; ; i++ {
		if i > inputLen+2 {
			t.Fatalf("Next has not ended after %d rows", i)
		}
		row, err := rd.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: fatal error %v on in-memory input", err)
		}
		if row.Line <= last {
			t.Fatalf("row line %d after line %d", row.Line, last)
		}
		last = row.Line
		rows = append(rows, row)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{MaxRecordSize, 16} {
			rd, err := newReader(bytes.NewReader(data), FormatCSV, Options{OnUnknownColumns: func([]string) {}}, max)
			if err != nil {
				continue
			}
			for _, row := range drain(t, rd, len(data)) {
				if row.Err == nil && checkUsername(row.Username) != nil {
					t.Fatalf("line %d: username %q accepted", row.Line, row.Username)
				}
			}
		}
		checkGuard(t, data, 16)
	})
}

type csvRecord struct {
	line   int
	fields []string
	err    string
}

func readCSVRecords(t *testing.T, r io.Reader, n int) []csvRecord {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var recs []csvRecord
	for i := 0; ; i++ {
		if i > n+2 {
			t.Fatal("encoding/csv does not end")
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return recs
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			recs = append(recs, csvRecord{line: pe.StartLine, err: err.Error()})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, csvRecord{line: line, fields: slices.Clone(rec)})
	}
}

// checkGuard compares encoding/csv on the input with encoding/csv behind a
// csvGuard: the same records start on the same lines (nothing lost, nothing
// split), and every record not cut is identical.
func checkGuard(t *testing.T, data []byte, max int) {
	want := readCSVRecords(t, bytes.NewReader(data), len(data))
	g := &csvGuard{src: bytes.NewReader(data), max: max, line: 1}
	got := readCSVRecords(t, g, len(data))
	if len(got) != len(want) {
		t.Fatalf("guard: %d records, encoding/csv alone %d\nguard: %+v\nalone: %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].line != want[i].line {
			t.Fatalf("guard: record %d starts on line %d, want %d", i, got[i].line, want[i].line)
		}
		if g.cutAt(got[i].line) {
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("guard: record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(g.cuts) > 0 {
		t.Fatalf("guard: cuts %v match no record", g.cuts)
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{MaxRecordSize, 64} {
			rd, err := newReader(bytes.NewReader(data), FormatJSONL, Options{OnUnknownColumns: func([]string) {}}, max)
			if err != nil {
				continue
			}
			lines := bytes.Split(data, []byte("\n"))
			for _, row := range drain(t, rd, len(data)) {
				if row.Line > len(lines) {
					t.Fatalf("row on line %d of %d", row.Line, len(lines))
				}
				if row.Err != nil {
					continue
				}
				if checkUsername(row.Username) != nil {
					t.Fatalf("line %d: username %q accepted", row.Line, row.Username)
				}
				// The hand scanner must agree with encoding/json.
				line := bytes.TrimPrefix(lines[row.Line-1], bom)
				var m map[string]any
				if err := json.Unmarshal(line, &m); err != nil {
					t.Fatalf("line %d: accepted, but encoding/json says %v", row.Line, err)
				}
				for k, v := range m {
					if strings.EqualFold(strings.TrimSpace(k), "username") && v != row.Username {
						t.Fatalf("line %d: username %q, encoding/json reads %q", row.Line, row.Username, v)
					}
				}
			}
		}
	})
}

func FuzzParseClientMetadata(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMetadataJSON(s)
		if err == nil && m != nil {
			var want map[string]string
			if jerr := json.Unmarshal([]byte(s), &want); jerr != nil {
				t.Fatalf("%q: accepted, but encoding/json says %v", s, jerr)
			}
			if !reflect.DeepEqual(m, want) {
				t.Fatalf("%q: %q, encoding/json reads %q", s, m, want)
			}
		}
		pairs := strings.Split(s, "\n")
		m, err = ParseClientMetadata(pairs)
		if err == nil {
			for _, p := range pairs {
				k, v, _ := strings.Cut(p, "=")
				if m[k] != v || !utf8.ValidString(k+v) {
					t.Fatalf("%q: %q", pairs, m)
				}
			}
		}
	})
}
