package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
)

// ReadRows calls fn with every row of the report at path, in file order,
// for tools and tests that need whole rows (the resume path uses LoadIndex,
// which is cheaper). Unlike LoadIndex it is strict: a line that is not a
// report row is an error naming it. An unterminated last row is ignored, as
// Append would cut it. CR and LF that the CSV writer escaped as \r and \n
// stay escaped.
func ReadRows(path string, fn func(Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	format := FormatOf(path)
	br := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // an unterminated tail is a crash artifact
		}
		if err != nil {
			return fmt.Errorf("read report %s: %w", path, err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if n == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Row
		if format == JSONL {
			r, err = parseJSONRow(line)
		} else {
			if n == 1 {
				if string(line) != csvHeader[:len(csvHeader)-1] {
					return fmt.Errorf("report %s line 1: not the header %q", path, csvHeader[:len(csvHeader)-1])
				}
				continue
			}
			r, err = parseCSVRow(line)
		}
		if err != nil {
			return fmt.Errorf("report %s line %d: %w", path, n, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

func parseCSVRow(line []byte) (Row, error) {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.FieldsPerRecord = len(Columns)
	rec, err := cr.Read()
	if err != nil {
		return Row{}, err
	}
	var r Row
	var errs []error
	num := func(s, name string) int64 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return v
	}
	r.Line = int(num(rec[0], "line"))
	// Cells the Writer neutralised against spreadsheet formulas come back
	// exact.
	r.Username, r.Action, r.Outcome, r.ErrorCode, r.Message = Restore(rec[1]), rec[2], Outcome(rec[3]), Restore(rec[4]), Restore(rec[5])
	r.Attempts = int(num(rec[6], "attempts"))
	r.UserStatus = Restore(rec[7])
	r.DurationMS = num(rec[8], "duration_ms")
	if rec[9] != "" {
		t, err := time.Parse(time.RFC3339, rec[9])
		if err != nil {
			errs = append(errs, fmt.Errorf("finished_at: %w", err))
		}
		r.FinishedAt = t
	}
	r.SignedOut = rec[10]
	if !validOutcome(r.Outcome) {
		errs = append(errs, fmt.Errorf("unknown outcome %q", r.Outcome))
	}
	return r, errors.Join(errs...)
}

func validOutcome(o Outcome) bool {
	return slices.Contains([]Outcome{Succeeded, Failed, Skipped, Planned}, o)
}

// jsonRowFields is the JSONL row shape for encoding/json.
type jsonRowFields struct {
	Line       *int    `json:"line"`
	Username   string  `json:"username"`
	Action     string  `json:"action"`
	Outcome    *string `json:"outcome"`
	ErrorCode  string  `json:"error_code"`
	Message    string  `json:"message"`
	Attempts   int     `json:"attempts"`
	UserStatus string  `json:"user_status"`
	DurationMS int64   `json:"duration_ms"`
	FinishedAt string  `json:"finished_at"`
	SignedOut  string  `json:"signed_out"`
}

func parseJSONRow(line []byte) (Row, error) {
	var j jsonRowFields
	if err := json.Unmarshal(line, &j); err != nil {
		return Row{}, err
	}
	if j.Line == nil || j.Outcome == nil {
		return Row{}, fmt.Errorf("missing %q or %q", "line", "outcome")
	}
	r := Row{Line: *j.Line, Username: j.Username, Action: j.Action, Outcome: Outcome(*j.Outcome), ErrorCode: j.ErrorCode,
		Message: j.Message, Attempts: j.Attempts, UserStatus: j.UserStatus, DurationMS: j.DurationMS, SignedOut: j.SignedOut}
	if j.FinishedAt != "" {
		t, err := time.Parse(time.RFC3339, j.FinishedAt)
		if err != nil {
			return Row{}, fmt.Errorf("finished_at: %w", err)
		}
		r.FinishedAt = t
	}
	if !validOutcome(r.Outcome) {
		return Row{}, fmt.Errorf("unknown outcome %q", r.Outcome)
	}
	return r, nil
}
