package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// retryableCodes is what the job passes: throttles, faults and job-fatal
// codes are sent again.
func retryableCodes(code string) bool {
	switch code {
	case "TooManyRequestsException", "InternalErrorException", "ExpiredTokenException", "":
		return true
	}
	return false
}

func csvLine(line int, outcome, code string) string {
	return fmt.Sprintf("%d,user%d,reset,%s,%s,msg,1,,5,2025-03-14T15:09:26.535Z,\n", line, line, outcome, code)
}

func jsonLine(line int, outcome, code string) string {
	return fmt.Sprintf(`{"line":%d,"username":"user%d","action":"reset","outcome":%q,"error_code":%q,"message":"m","attempts":1,"user_status":"","duration_ms":5,"finished_at":"2025-03-14T15:09:26.535Z","signed_out":""}`+"\n", line, line, outcome, code)
}

func TestLoadIndex(t *testing.T) {
	hdr := csvHeader
	tests := []struct {
		name, file, content string
		final, finalRetry   []int // lines for which Final(line, false/true) is true, over 0..20
		rows, bad           int
		truncated           bool
	}{
		{
			name: "csv outcomes", file: "r.csv",
			content: hdr + csvLine(2, "succeeded", "") + csvLine(3, "failed", "UserNotFoundException") +
				csvLine(4, "failed", "TooManyRequestsException") + csvLine(5, "skipped", "") + csvLine(6, "planned", "") +
				csvLine(7, "failed", "InvalidManifestRow") + csvLine(8, "failed", ""),
			final: []int{2, 3, 5, 7}, finalRetry: []int{2, 5}, rows: 7,
		},
		{
			name: "later rows override", file: "r.csv",
			content: hdr + csvLine(2, "failed", "TooManyRequestsException") + csvLine(3, "succeeded", "") +
				csvLine(4, "failed", "UserNotFoundException") + csvLine(5, "planned", "") +
				csvLine(2, "succeeded", "") + csvLine(3, "failed", "InternalErrorException") +
				csvLine(4, "succeeded", "") + csvLine(5, "failed", "UserNotFoundException"),
			final: []int{2, 4, 5}, finalRetry: []int{2, 4}, rows: 8,
		},
		{
			name: "csv truncated last row", file: "r.csv",
			content: hdr + csvLine(2, "succeeded", "") + "3,user3,reset,succe",
			final:   []int{2}, finalRetry: []int{2}, rows: 1, truncated: true,
		},
		{
			name: "csv garbage lines", file: "r.csv",
			content: hdr + csvLine(2, "succeeded", "") + "\x00\x01garbage\n" + "9,\"open quote,succeeded\n" +
				"10,a,b,succeeded\n" + "0,u,reset,succeeded,,,1,,5,t\n" + "-3,u,reset,succeeded,,,1,,5,t\n" +
				"999999999999,u,reset,succeeded,,,1,,5,t\n" + "11,u,reset,done,,,1,,5,t\n" +
				"12,u\"x,reset,succeeded,,,1,,5,t\n" + "\n  \n" + csvLine(13, "succeeded", ""),
			final: []int{2, 13}, finalRetry: []int{2, 13}, rows: 2, bad: 8,
		},
		{
			name: "csv quoting, CRLF, BOM", file: "r.csv",
			content: "\xEF\xBB\xBF" + strings.ReplaceAll(hdr, "\n", "\r\n") +
				"2,\"a,\"\"b\"\"\",reset,\"succeeded\",,\"x, y\",1,,5,t,\r\n" +
				"3,b,reset,failed,\"UserNotFound\"\"Exception\",m,1,,5,t,\r\n",
			final: []int{2, 3}, finalRetry: []int{2}, rows: 2,
		},
		{
			name: "csv reordered columns", file: "r.csv",
			content: "outcome,username,error_code,line\nsucceeded,a,,4\nfailed,b,TooManyRequestsException,5\nfailed,c,UserNotFoundException,6\n",
			final:   []int{4, 6}, finalRetry: []int{4}, rows: 3,
		},
		{
			name: "csv without header", file: "r.csv",
			content: csvLine(2, "succeeded", "") + csvLine(3, "succeeded", ""),
			final:   []int{2, 3}, finalRetry: []int{2, 3}, rows: 2,
		},
		{
			name: "jsonl outcomes", file: "r.jsonl",
			content: jsonLine(1, "succeeded", "") + jsonLine(2, "failed", "UserNotFoundException") +
				jsonLine(3, "failed", "TooManyRequestsException") + jsonLine(4, "planned", "") + jsonLine(1, "failed", "InternalErrorException"),
			final: []int{2}, finalRetry: nil, rows: 5,
		},
		{
			name: "jsonl variants", file: "r.ndjson",
			content: ` { "outcome" : "succeeded" , "line" : 1 } ` + "\n" +
				`{"line":2,"outcome":"succ\u0065eded","extra":{"a":[1,2.5e3,{"b":null}],"c":true}}` + "\n" +
				`{"line":3,"outcome":"failed","error_code":null}` + "\n" +
				`{"line":4,"outcome":"failed","error_code":"UserNotFound\u0045xception"}` + "\n" +
				`{"l\u0069ne":5,"outcome":"skipped"}` + "\r\n" +
				`{"line":6,"line":7,"outcome":"skipped"}` + "\n",
			final: []int{1, 2, 4, 5, 7}, finalRetry: []int{1, 2, 5, 7}, rows: 6,
		},
		{
			name: "jsonl garbage", file: "r.jsonl",
			content: jsonLine(1, "succeeded", "") + "not json\n" + `{"line":"2","outcome":"succeeded"}` + "\n" +
				`{"line":2.0,"outcome":"succeeded"}` + "\n" + `{"line":3}` + "\n" + `{"outcome":"succeeded"}` + "\n" +
				`{"line":4,"outcome":"succeeded"} trailing` + "\n" + `{"line":5,"outcome":"succeeded",}` + "\n" +
				`{"line":6,"outcome":7}` + "\n" + `[1,2]` + "\n" + `{"line":8,"outcome":"succeeded","x":"` + "\x01" + `"}` + "\n" +
				`{"line":9,"outcome":"succeeded","x":[[[[` + "\n" + jsonLine(10, "succeeded", "") + `{"line":11,"outcome":"succ`,
			final: []int{1, 10}, finalRetry: []int{1, 10}, rows: 2, bad: 11, truncated: true,
		},
		{
			name: "over-long line", file: "r.jsonl",
			content: `{"line":1,"outcome":"succeeded","x":"` + strings.Repeat("a", 200<<10) + `"}` + "\n" + jsonLine(2, "succeeded", ""),
			final:   []int{2}, finalRetry: []int{2}, rows: 1, bad: 1,
		},
		{
			name: "over-long unterminated tail", file: "r.jsonl",
			content: jsonLine(2, "succeeded", "") + strings.Repeat("a", 200<<10),
			final:   []int{2}, finalRetry: []int{2}, rows: 1, truncated: true,
		},
		{name: "empty", file: "r.csv"},
		{name: "header only", file: "r.csv", content: hdr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			ix, err := LoadIndex(path, retryableCodes)
			if err != nil {
				t.Fatal(err)
			}
			var final, finalRetry []int
			for line := -1; line <= 20; line++ {
				if ix.Final(line, false) {
					final = append(final, line)
				}
				if ix.Final(line, true) {
					finalRetry = append(finalRetry, line)
				}
			}
			if !slices.Equal(final, tt.final) || !slices.Equal(finalRetry, tt.finalRetry) {
				t.Errorf("final lines %v, with retryFailed %v; want %v, %v", final, finalRetry, tt.final, tt.finalRetry)
			}
			if ix.Count() != len(tt.final) || ix.CountFinal(false) != len(tt.final) || ix.CountFinal(true) != len(tt.finalRetry) {
				t.Errorf("Count()=%d CountFinal(false)=%d CountFinal(true)=%d, want %d %d %d",
					ix.Count(), ix.CountFinal(false), ix.CountFinal(true), len(tt.final), len(tt.final), len(tt.finalRetry))
			}
			// The failed lines a resume keeps are the final ones that
			// --retry-failed sends again.
			if kept := len(tt.final) - len(tt.finalRetry); ix.CountFailedKept(false) != kept || ix.CountFailedKept(true) != 0 {
				t.Errorf("CountFailedKept(false)=%d CountFailedKept(true)=%d, want %d 0", ix.CountFailedKept(false), ix.CountFailedKept(true), kept)
			}
			if ix.Rows() != tt.rows || ix.BadRows() != tt.bad || ix.Truncated() != tt.truncated {
				t.Errorf("Rows()=%d BadRows()=%d Truncated()=%v, want %d %d %v", ix.Rows(), ix.BadRows(), ix.Truncated(), tt.rows, tt.bad, tt.truncated)
			}
		})
	}
}

func TestLoadIndexNilRetryable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(path, []byte(csvHeader+csvLine(2, "failed", "UserNotFoundException")+csvLine(3, "succeeded", "")), 0o644)
	ix, err := LoadIndex(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Final(2, false) || !ix.Final(3, false) {
		t.Errorf("nil retryable: Final(2)=%v Final(3)=%v, want false true", ix.Final(2, false), ix.Final(3, false))
	}
}

func TestLoadIndexMissing(t *testing.T) {
	if _, err := LoadIndex(filepath.Join(t.TempDir(), "nope.csv"), nil); err == nil {
		t.Error("LoadIndex of a missing file succeeded")
	}
}

// TestLoadIndexRetryableCached checks that the verdict per code is asked
// once, so a million failed rows cost no allocation per row.
func TestLoadIndexRetryableCached(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHeader)
	for line := 2; line < 1000; line++ {
		b.WriteString(csvLine(line, "failed", []string{"A", "B", "C"}[line%3]))
	}
	calls := 0
	ix, err := loadIndex(strings.NewReader(b.String()), CSV, func(string) bool { calls++; return false }, maxIndexLine)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || ix.Count() != 998 {
		t.Errorf("retryable called %d times (want 3), Count()=%d (want 998)", calls, ix.Count())
	}
}

// reportGen streams a generated report of n rows without holding it in
// memory: every 10th row failed with a throttle, the rest succeeded.
type reportGen struct {
	format Format
	n, i   int
	buf    []byte
}

func (g *reportGen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		if g.i == 0 {
			if g.format == CSV {
				g.buf = append(g.buf, csvHeader...)
			}
			g.i++
			continue
		}
		r := Row{Line: g.i + 1, Username: "user", Action: "set-temporary", Outcome: Succeeded, Attempts: 1, UserStatus: "FORCE_CHANGE_PASSWORD", DurationMS: 42, FinishedAt: t0}
		if g.i%10 == 0 {
			r.Outcome, r.ErrorCode, r.Message = Failed, "TooManyRequestsException", "Rate exceeded"
		}
		if g.format == JSONL {
			g.buf = appendJSONRow(g.buf, &r)
		} else {
			g.buf = strconv.AppendInt(g.buf, int64(r.Line), 10)
			g.buf = append(g.buf, ",user,set-temporary,"...)
			g.buf = append(g.buf, r.Outcome...)
			g.buf = append(g.buf, ',')
			g.buf = append(g.buf, r.ErrorCode...)
			g.buf = append(g.buf, ',')
			g.buf = append(g.buf, r.Message...)
			g.buf = append(g.buf, ",1,FORCE_CHANGE_PASSWORD,42,2025-03-14T15:09:26.535Z,\n"...)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// TestLoadIndexMillionLines checks the size promise: a million-line report
// is two bitmaps of ~125 KB each, trimmed of growth headroom.
func TestLoadIndexMillionLines(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	ix, err := loadIndex(bufio.NewReader(&reportGen{format: CSV, n: n}), CSV, retryableCodes, maxIndexLine)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Rows() != n || ix.Count() != n-n/10 || ix.BadRows() != 0 {
		t.Fatalf("Rows()=%d Count()=%d BadRows()=%d, want %d %d 0", ix.Rows(), ix.Count(), ix.BadRows(), n, n-n/10)
	}
	words := (n+1)/64 + 1 // lines 2..n+1
	for name, b := range map[string]bitmap{"final": ix.final, "failed": ix.failed} {
		if len(b) > words || cap(b) > words+words/16 {
			t.Errorf("%s bitmap: len %d cap %d words, want about %d (%d bytes)", name, len(b), cap(b), words, words*8)
		}
	}
	if !ix.Final(2, false) || ix.Final(11, false) || !ix.Final(n, true) || ix.Final(n+1, false) {
		t.Error("unexpected Final values")
	}
}

func TestSplitCSVMatchesEncodingCSV(t *testing.T) {
	tests := []string{
		`a,b,c`, `"a,b",c`, `"a""b",""`, `,,`, `"",x`, `a"b,c`, `"a"b,c`, `"open`, `x,"y"`, `"""",a`, ` "a",b`,
	}
	for _, line := range tests {
		var got []string
		ok := splitCSV([]byte(line), func(_ int, f []byte) { got = append(got, string(f)) })
		want, err := readCSVLine(line)
		if ok != (err == nil) {
			t.Errorf("splitCSV(%q) ok=%v, encoding/csv err=%v", line, ok, err)
			continue
		}
		if ok && !slices.Equal(got, want) {
			t.Errorf("splitCSV(%q) = %q, encoding/csv %q", line, got, want)
		}
	}
}

func readCSVLine(line string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	return r.Read()
}

func BenchmarkLoadIndex(b *testing.B) {
	const n = 1_000_000
	for _, format := range []Format{CSV, JSONL} {
		b.Run(format.String(), func(b *testing.B) {
			var buf bytes.Buffer
			io.Copy(&buf, &reportGen{format: format, n: n})
			data := buf.Bytes()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				ix, err := loadIndex(bytes.NewReader(data), format, retryableCodes, maxIndexLine)
				if err != nil || ix.Rows() != n {
					b.Fatalf("rows %d, err %v", ix.Rows(), err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestLoadIndexWriteDone: a row whose sign-out failed after its write
// (signed_out false) tells a resumed run to send only the sign-out; a later
// row for the line overrides it, as for the other outcomes.
func TestLoadIndexWriteDone(t *testing.T) {
	for _, name := range []string{"r.csv", "r.jsonl"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			rows := []Row{
				{Line: 2, Username: "a", Action: "reset", Outcome: Failed, ErrorCode: "TooManyRequestsException", SignedOut: SignedOutNo},
				{Line: 3, Username: "b", Action: "reset", Outcome: Failed, ErrorCode: "TooManyRequestsException"},
				{Line: 4, Username: "c", Action: "reset", Outcome: Succeeded, SignedOut: SignedOutYes},
				{Line: 5, Username: "d", Action: "reset", Outcome: Failed, ErrorCode: "InternalErrorException", SignedOut: SignedOutNo},
				{Line: 5, Username: "d", Action: "reset", Outcome: Succeeded, SignedOut: SignedOutYes},
				{Line: 6, Username: "e", Action: "reset", Outcome: Failed, ErrorCode: "UserNotFoundException", SignedOut: SignedOutNo},
			}
			for _, r := range rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ix, err := LoadIndex(path, retryableCodes)
			if err != nil {
				t.Fatal(err)
			}
			var done []int
			for line := range 10 {
				if ix.WriteDone(line) {
					done = append(done, line)
				}
			}
			if !slices.Equal(done, []int{2, 6}) {
				t.Errorf("WriteDone lines %v, want [2 6]", done)
			}
			if ix.Final(2, false) || !ix.Final(6, false) || ix.Final(6, true) {
				t.Errorf("Final(2)=%v Final(6)=%v Final(6, retryFailed)=%v, want false true false", ix.Final(2, false), ix.Final(6, false), ix.Final(6, true))
			}
			var back []Row
			if err := ReadRows(path, func(r Row) error { back = append(back, r); return nil }); err != nil {
				t.Fatal(err)
			}
			for i, r := range back {
				if r.SignedOut != rows[i].SignedOut {
					t.Errorf("row %d signed_out read back as %q, want %q", i, r.SignedOut, rows[i].SignedOut)
				}
			}
		})
	}
}
