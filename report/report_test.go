package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// goldenRows covers quoting, escaping, spreadsheet-formula usernames (kept
// as data), non-UTC times and a zero time.
func goldenRows() []Row {
	return []Row{
		{Line: 2, Username: "alice", Action: "set-temporary", Outcome: Succeeded, Attempts: 1, UserStatus: "FORCE_CHANGE_PASSWORD", DurationMS: 41, FinishedAt: t0},
		{Line: 3, Username: "bob", Action: "set-temporary", Outcome: Failed, ErrorCode: "UserNotFoundException", Message: "User does not exist.", Attempts: 1, DurationMS: 12, FinishedAt: t0.Add(time.Millisecond)},
		{Line: 4, Username: "=HYPERLINK(\"x\")", Action: "reset", Outcome: Failed, ErrorCode: "InvalidManifestRow", Message: "line 4: password: contains whitespace, \"quoted\"\nand a second line\r\n", Attempts: 0, FinishedAt: t0.In(time.FixedZone("CET", 3600))},
		{Line: 5, Username: " padded, with comma", Action: "change", Outcome: Skipped, Message: "federated user (EXTERNAL_PROVIDER)", UserStatus: "EXTERNAL_PROVIDER", FinishedAt: t0},
		{Line: 6, Username: "zoë\u2028\x01", Action: "set-permanent", Outcome: Planned, Message: "tab\there \\ back", UserStatus: "CONFIRMED", Attempts: 1, DurationMS: 3},
		{Line: 1_000_000, Username: "@admin", Action: "set-permanent", Outcome: Failed, ErrorCode: "TooManyRequestsException", Message: "Rate exceeded", Attempts: 8, DurationMS: 12_345, FinishedAt: t0.Add(time.Hour)},
	}
}

func writeAll(t testing.TB, w *Writer, rows []Row) {
	t.Helper()
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write(line %d): %v", r.Line, err)
		}
	}
}

func TestWriterGolden(t *testing.T) {
	tests := []struct {
		name, golden string
		format       Format
	}{
		{"report.csv", "report.golden.csv", CSV},
		{"report.jsonl", "report.golden.jsonl", JSONL},
		{"REPORT.NDJSON", "report.golden.jsonl", JSONL},
		{"report.txt", "report.golden.csv", CSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.name)
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if w.Format() != tt.format {
				t.Errorf("Format() = %v, want %v", w.Format(), tt.format)
			}
			writeAll(t, w, goldenRows())
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n got:\n%s\nwant:\n%s", tt.name, golden, got, want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm()&^0o600 != 0 {
				t.Errorf("mode %v, want at most 0600", fi.Mode().Perm())
			}
		})
	}
}

// TestWriterRoundTrip checks the files with standard readers: encoding/csv
// for the whole CSV, encoding/json for every JSONL line, and ReadRows for
// both, and that every record is one physical line.
func TestWriterRoundTrip(t *testing.T) {
	for _, name := range []string{"r.csv", "r.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			rows := goldenRows()
			writeAll(t, w, rows)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if FormatOf(path) == CSV {
				recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
				if err != nil {
					t.Fatalf("encoding/csv: %v", err)
				}
				if len(recs) != len(rows)+1 || len(lines) != len(rows)+1 {
					t.Fatalf("%d records on %d lines, want %d", len(recs), len(lines), len(rows)+1)
				}
				if got := strings.Join(recs[0], ","); got != strings.Join(Columns, ",") {
					t.Errorf("header %q", got)
				}
			} else {
				if len(lines) != len(rows) {
					t.Fatalf("%d lines, want %d", len(lines), len(rows))
				}
				for i, l := range lines {
					var m map[string]any
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
					if len(m) != len(Columns) {
						t.Errorf("line %d has %d keys, want %d", i+1, len(m), len(Columns))
					}
				}
			}
			var got []Row
			if err := ReadRows(path, func(r Row) error { got = append(got, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(rows) {
				t.Fatalf("ReadRows: %d rows, want %d", len(got), len(rows))
			}
			for i, want := range rows {
				if FormatOf(path) == CSV {
					want.Username = oneLine(want.Username)
					want.Message = oneLine(want.Message)
				} else {
					want.Username = strings.ToValidUTF8(want.Username, "\uFFFD")
				}
				if !want.FinishedAt.IsZero() {
					want.FinishedAt = want.FinishedAt.UTC()
				}
				if got[i] != want {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want)
				}
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\x7f", "\b\f\n\r\t",
		"é ü 日本 🎉", "\u2028\u2029", "bad utf8 \xff\xfe end", "\xed\xa0\x80 surrogate", "<html>&'",
	}
	for _, s := range tests {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendJSONString(nil, s)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := string(appendJSONString(nil, s)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestCreateRefusesExisting(t *testing.T) {
	for _, name := range []string{"r.csv", "r.jsonl"} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Create(path)
		if err == nil {
			w.Close()
			t.Fatalf("Create(%s) over an existing file succeeded", name)
		}
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "--resume") {
			t.Errorf("error %q: want fs.ErrExist saying it already exists and hinting --resume", err)
		}
		if data, _ := os.ReadFile(path); string(data) != "precious\n" {
			t.Errorf("existing file changed: %q", data)
		}
	}
}

func TestAppend(t *testing.T) {
	hdr := csvHeader
	row3 := "3,bob,set-temporary,succeeded,,,1,FORCE_CHANGE_PASSWORD,5,2025-03-14T15:09:26.535Z\n"
	new4 := "4,carol,reset,succeeded,,,1,RESET_REQUIRED,7,2025-03-14T15:09:26.535Z,\n"
	j3 := `{"line":3,"username":"bob","action":"reset","outcome":"succeeded"}` + "\n"
	j4 := `{"line":4,"username":"carol","action":"reset","outcome":"succeeded","error_code":"","message":"","attempts":1,"user_status":"RESET_REQUIRED","duration_ms":7,"finished_at":"2025-03-14T15:09:26.535Z","signed_out":""}` + "\n"
	tests := []struct {
		name, file, before, want string
		wantErr                  string
	}{
		{name: "complete csv", file: "r.csv", before: hdr + row3, want: hdr + row3 + new4},
		{name: "csv cut mid row", file: "r.csv", before: hdr + row3 + "4,carol,res", want: hdr + row3 + new4},
		{name: "csv cut inside quoted field", file: "r.csv", before: hdr + row3 + `4,"car`, want: hdr + row3 + new4},
		{name: "csv only header", file: "r.csv", before: hdr, want: hdr + new4},
		{name: "csv partial header", file: "r.csv", before: "line,user", want: hdr + new4},
		{name: "csv empty", file: "r.csv", before: "", want: hdr + new4},
		{name: "csv header with BOM", file: "r.csv", before: "\xEF\xBB\xBF" + hdr + row3, want: "\xEF\xBB\xBF" + hdr + row3 + new4},
		{name: "csv CRLF header", file: "r.csv", before: strings.TrimSuffix(hdr, "\n") + "\r\n", want: strings.TrimSuffix(hdr, "\n") + "\r\n" + new4},
		{name: "csv not a report", file: "r.csv", before: "username,password\nalice,x\nbob,partial", wantErr: "not a cogpass report"},
		{name: "jsonl complete", file: "r.jsonl", before: j3, want: j3 + j4},
		{name: "jsonl cut", file: "r.jsonl", before: j3 + `{"line":4,"user`, want: j3 + j4},
		{name: "jsonl empty", file: "r.jsonl", before: "", want: j4},
		{name: "missing", file: "r.csv", wantErr: "nothing to resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if tt.name != "missing" {
				if err := os.WriteFile(path, []byte(tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := Append(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Append error = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.name == "missing" && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Append error %v does not wrap fs.ErrNotExist", err)
				}
				if got, _ := os.ReadFile(path); string(got) != tt.before {
					t.Errorf("refused file changed to %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := Row{Line: 4, Username: "carol", Action: "reset", Outcome: Succeeded, Attempts: 1, UserStatus: "RESET_REQUIRED", DurationMS: 7, FinishedAt: t0}
			writeAll(t, w, []Row{r})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("file after Append + Write:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestResumeTruncatedReport simulates a crash mid-row: LoadIndex must not
// count the cut row, Append must remove it, and the resumed rows must be read.
func TestResumeTruncatedReport(t *testing.T) {
	for _, name := range []string{"r.csv", "r.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			for line := 2; line <= 11; line++ {
				writeAll(t, w, []Row{{Line: line, Username: fmt.Sprintf("u%d", line), Action: "reset", Outcome: Succeeded, Attempts: 1, FinishedAt: t0}})
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			// The crash: line 11's row is cut 5 bytes before its end.
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()-5); err != nil {
				t.Fatal(err)
			}
			ix, err := LoadIndex(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !ix.Truncated() || ix.Count() != 9 || ix.Final(11, false) || !ix.Final(10, false) || ix.BadRows() != 0 {
				t.Fatalf("after crash: truncated=%v count=%d final(11)=%v final(10)=%v bad=%d; want true 9 false true 0",
					ix.Truncated(), ix.Count(), ix.Final(11, false), ix.Final(10, false), ix.BadRows())
			}
			w, err = Append(path)
			if err != nil {
				t.Fatal(err)
			}
			writeAll(t, w, []Row{{Line: 11, Username: "u11", Action: "reset", Outcome: Succeeded, Attempts: 1, FinishedAt: t0}})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ix, err = LoadIndex(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ix.Truncated() || ix.Count() != 10 || !ix.Final(11, false) || ix.BadRows() != 0 || ix.Rows() != 10 {
				t.Errorf("after resume: truncated=%v count=%d final(11)=%v bad=%d rows=%d; want false 10 true 0 10",
					ix.Truncated(), ix.Count(), ix.Final(11, false), ix.BadRows(), ix.Rows())
			}
			n := 0
			if err := ReadRows(path, func(Row) error { n++; return nil }); err != nil || n != 10 {
				t.Errorf("ReadRows: %d rows, err %v; want 10, nil", n, err)
			}
		})
	}
}

func TestWriterConcurrent(t *testing.T) {
	const workers, per = 8, 400
	for _, name := range []string{"r.csv", "r.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					for i := range per {
						line := 2 + g*per + i
						r := Row{Line: line, Username: fmt.Sprintf("user%06d", line), Action: "set-temporary", Outcome: Succeeded,
							Message: strings.Repeat("x,\"", i%7), Attempts: 1, DurationMS: int64(i), FinishedAt: t0}
						if err := w.Write(r); err != nil {
							t.Error(err)
							return
						}
						if i%100 == 0 {
							if err := w.Sync(); err != nil {
								t.Error(err)
							}
						}
					}
				})
			}
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			seen := make(map[int]bool)
			err = ReadRows(path, func(r Row) error {
				if seen[r.Line] {
					return fmt.Errorf("line %d twice", r.Line)
				}
				seen[r.Line] = true
				if r.Username != fmt.Sprintf("user%06d", r.Line) {
					return fmt.Errorf("line %d has username %q: rows interleaved", r.Line, r.Username)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != workers*per {
				t.Errorf("%d rows, want %d", len(seen), workers*per)
			}
		})
	}
}

func TestWriterClosed(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Sync(); err != nil {
		t.Errorf("Sync after Close: %v", err)
	}
	if err := w.Write(Row{Line: 2, Outcome: Succeeded}); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close = %v, want fs.ErrClosed", err)
	}
}

func TestWriterStickyError(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the disk goes away under the writer
	if err := w.Write(Row{Line: 2, Outcome: Succeeded}); err == nil {
		t.Fatal("Write to a closed file succeeded")
	}
	if err := w.Write(Row{Line: 3, Outcome: Succeeded}); err == nil {
		t.Error("Write after a failed write succeeded")
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 5000) // 2 bytes per rune
	tests := []struct {
		in   string
		n    int
		want int // length in bytes of the result
	}{
		{"short", 10, 5},
		{long, maxNameBytes, maxNameBytes - 1}, // an odd cut falls back one byte to a rune start
		{strings.Repeat("a", 3000), maxMessageBytes, maxMessageBytes},
	}
	for _, tt := range tests {
		got := clip(tt.in, tt.n)
		if len(got) != tt.want || !strings.HasPrefix(tt.in, strings.TrimSuffix(got, "…")) {
			t.Errorf("clip(%d bytes, %d) = %d bytes %q…", len(tt.in), tt.n, len(got), got[:min(len(got), 20)])
		}
	}
	// A huge bad-row username must not make a row the index cannot read.
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, []Row{{Line: 2, Username: strings.Repeat("\x01", 10<<20), Message: strings.Repeat("\"", 1<<20), Outcome: Failed, ErrorCode: "InvalidManifestRow"}})
	w.Close()
	ix, err := LoadIndex(path, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Final(2, false) || ix.BadRows() != 0 {
		t.Errorf("LoadIndex over a clipped row: final=%v bad=%d, want true 0", ix.Final(2, false), ix.BadRows())
	}
}
