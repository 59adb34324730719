package main

import (
	"encoding/json"
	"strings"
	"testing"

	"cogpass/emulator"
)

// TestSummaryJSONWithLogFormatJSON: with --log-format json every line on
// stderr is JSON, the end summary included.
func TestSummaryJSONWithLogFormatJSON(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := writeManifest(t, 3, "nobody,,")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--log-format", "json")
	if code != exitRowsFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var summary map[string]any
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if strings.HasPrefix(l, "cogpass: ") {
			continue // the exit line
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not JSON: %q", l)
			continue
		}
		if m["msg"] == "summary" {
			summary = m
		}
	}
	if summary == nil {
		t.Fatalf("no summary line in:\n%s", stderr)
	}
	if summary["rows"] != float64(4) || summary["report"] != manifest+".report.csv" {
		t.Errorf("summary %v", summary)
	}
}
