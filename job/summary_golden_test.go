package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cogpass/report"
)

// updateGolden rewrites the golden files: go test ./job -run Summary -update
var updateGolden = flag.Bool("update", false, "rewrite testdata golden files with the current output")

// golden compares got with testdata/NAME, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// The summary is what an operator reads at the end of a job and what a
// scheduler parses: its table and its JSON are golden files.
func TestSummaryGolden(t *testing.T) {
	failedRun := &Summary{
		Rows:     1000,
		Outcomes: map[report.Outcome]int64{report.Succeeded: 958, report.Failed: 40, report.Skipped: 2},
		ErrorCodes: []CodeCount{
			{Code: "UserNotFoundException", Count: 31, ExampleLine: 17, ExampleMessage: "User does not exist."},
			{Code: "InvalidPasswordException", Count: 4, ExampleLine: 230, ExampleMessage: "Password did not conform with policy: Password must have symbol characters"},
			{Code: "InvalidManifestRow", Count: 2, ExampleLine: 5, ExampleMessage: "username is empty"},
			{Code: "TooManyRequestsException", Count: 1, ExampleLine: 812, ExampleMessage: "Rate exceeded (10 attempts)"},
			{Code: "InternalErrorException", Count: 1, ExampleLine: 900, ExampleMessage: "Internal error"},
			{Code: "PasswordHistoryPolicyViolationException", Count: 1, ExampleLine: 44, ExampleMessage: "Password has previously been used"},
			{Code: "NotAuthorizedException", Count: 1, ExampleLine: 61, ExampleMessage: "Invalid Access Token"},
		},
		Resumed:   120,
		Calls:     1236,
		Throttled: 198,
		Retried:   3,
		Elapsed:   61*time.Second + 734*time.Millisecond,
		ElapsedS:  61.734,
		CallsPerS: 20,
		LatencyMS: map[string]float64{"p50": 48.2, "p95": 91.7, "p99": 180.4},
		Workers:   3,
	}
	tests := []struct {
		name   string
		sum    *Summary
		runErr error
	}{
		{name: "clean", sum: &Summary{
			Rows:      150,
			Outcomes:  map[report.Outcome]int64{report.Succeeded: 150},
			Calls:     151,
			Elapsed:   7*time.Second + 512*time.Millisecond,
			ElapsedS:  7.512,
			CallsPerS: 20.1,
			LatencyMS: map[string]float64{"p50": 1.1, "p95": 2.3, "p99": 4},
			Workers:   2,
		}},
		{name: "failed", sum: failedRun},
		{name: "stopped", sum: failedRun, runErr: &Fatal{Line: 1003, Code: "ResourceNotFoundException", Err: errors.New("User pool us-east-1_Gone does not exist.")}},
		{name: "dry-run", sum: &Summary{
			Rows:       3,
			Outcomes:   map[report.Outcome]int64{report.Planned: 2, report.Failed: 1},
			ErrorCodes: []CodeCount{{Code: "UserNotFoundException", Count: 1, ExampleLine: 3, ExampleMessage: "User does not exist."}},
			Calls:      4,
			Elapsed:    250 * time.Millisecond,
			ElapsedS:   0.25,
			CallsPerS:  16,
			LatencyMS:  map[string]float64{"p50": 0.2, "p95": 0.4, "p99": 0.4},
			Workers:    1,
		}},
		{name: "empty", sum: &Summary{Outcomes: map[report.Outcome]int64{}, LatencyMS: map[string]float64{"p50": 0, "p95": 0, "p99": 0}}},
		// One of everything: singular nouns.
		{name: "one", sum: &Summary{
			Rows:        1,
			Outcomes:    map[report.Outcome]int64{report.Planned: 1},
			DryRun:      true,
			ResetEmails: 1,
			Calls:       1,
			Elapsed:     20 * time.Millisecond,
			ElapsedS:    0.02,
			CallsPerS:   50,
			LatencyMS:   map[string]float64{"p50": 3, "p95": 3, "p99": 3},
			Workers:     1,
		}},
		// An offline dry run makes no call: no latency line.
		{name: "offline", sum: &Summary{
			Rows:      2,
			Outcomes:  map[report.Outcome]int64{report.Planned: 2},
			DryRun:    true,
			Elapsed:   2 * time.Millisecond,
			ElapsedS:  0.002,
			LatencyMS: map[string]float64{"p50": 0, "p95": 0, "p99": 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var table bytes.Buffer
			tt.sum.Print(&table)
			golden(t, filepath.Join("summary", tt.name+".txt.golden"), table.Bytes())

			path := filepath.Join(t.TempDir(), "summary.json")
			if _, err := WriteSummaryJSON(path, tt.sum, tt.runErr, false); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("summary", tt.name+".json.golden"), data)

			// A scheduler reads it back into the same numbers.
			var back struct {
				Summary
				Stopped string `json:"stopped"`
			}
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("summary JSON does not parse: %v", err)
			}
			if back.Rows != tt.sum.Rows || back.Failed() != tt.sum.Failed() || len(back.ErrorCodes) != len(tt.sum.ErrorCodes) ||
				back.ElapsedS != tt.sum.ElapsedS || back.LatencyMS["p99"] != tt.sum.LatencyMS["p99"] {
				t.Errorf("read back %+v, wrote %+v", back.Summary, *tt.sum)
			}
			if (tt.runErr != nil) != (back.Stopped != "") {
				t.Errorf("stopped %q for run error %v", back.Stopped, tt.runErr)
			}
		})
	}
}
