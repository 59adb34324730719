package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
)

// TestSummaryJSONWithLogFormatJSON: with --log-format json every line on
// stderr is JSON, the end summary included, and the final error line (it
// was "cogpass: 1 row failed...", plain).
func TestSummaryJSONWithLogFormatJSON(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := writeManifest(t, 3, "nobody,,")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--log-format", "json")
	if code != exitRowsFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var summary, last map[string]any
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not JSON: %q", l)
			continue
		}
		if m["msg"] == "summary" {
			summary = m
		}
		last = m
	}
	if last["level"] != "ERROR" || last["exit"] != float64(exitRowsFailed) || !strings.Contains(fmt.Sprint(last["msg"]), "failed") {
		t.Errorf("the final line is %v, want the error as JSON with exit %d", last, exitRowsFailed)
	}
	if summary == nil {
		t.Fatalf("no summary line in:\n%s", stderr)
	}
	if summary["rows"] != float64(4) || summary["report"] != manifest+".report.csv" {
		t.Errorf("summary %v", summary)
	}
}

// jsonLines checks that every line of stderr is a JSON object and returns
// them.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not JSON: %q", l)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// TestLogFormatJSONEveryLine: with --log-format json the lines that were
// plain text are JSON too (README, docs/scheduled-runs.md: every line):
// a usage error, a preflight error and a refused filter (the final error
// line, with its exit code), and export's final line and note. Without
// it they stay text.
func TestLogFormatJSONEveryLine(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	x := newExportEnv(t, 10, emulator.Options{Seed: 9}, nil)
	dir := t.TempDir()
	exclude := filepath.Join(dir, "exclude.csv")
	if err := os.WriteFile(exclude, []byte("username\nnobody-at-all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		run  func() (int, string)
		code int
		want string // in the last line's msg
	}{
		{"misspelt flag", func() (int, string) {
			return runCLI(t, "set", "--log-format", "json", "--dryrun")
		}, exitUsage, "unknown flag --dryrun"},
		{"misspelt flag, = form", func() (int, string) {
			return runCLI(t, "reset", "--log-format=json", "--dryrun")
		}, exitUsage, "unknown flag --dryrun"},
		{"missing manifest", func() (int, string) {
			return runCLI(t, "set", "--user-pool-id", testPool, "--manifest", filepath.Join(dir, "missing.csv"), "--endpoint-url", e.url, "--yes", "--log-format", "json")
		}, exitUsage, "missing.csv"},
		{"export refused filter", func() (int, string) {
			code, _, stderr := x.export(t, "--filter", "bogus", "--output", filepath.Join(dir, "f.csv"), "--log-format", "json")
			return code, stderr
		}, exitUsage, "Cognito refused it"},
		{"export", func() (int, string) {
			code, _, stderr := x.export(t, "--output", filepath.Join(dir, "all.csv"), "--exclude", exclude, "--log-format", "json")
			return code, stderr
		}, exitOK, "export: note: no listed user matched"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stderr := c.run()
			if code != c.code {
				t.Errorf("exit %d, want %d:\n%s", code, c.code, stderr)
			}
			lines := jsonLines(t, stderr)
			if len(lines) == 0 {
				t.Fatalf("no line on stderr")
			}
			if last := lines[len(lines)-1]; !strings.Contains(fmt.Sprint(last["msg"]), c.want) {
				t.Errorf("last line %v, want %q in its msg", last, c.want)
			} else if c.code != exitOK && last["exit"] != float64(c.code) {
				t.Errorf("last line %v, want \"exit\":%d", last, c.code)
			}
			if c.name == "export" && (len(lines) < 2 || lines[len(lines)-2]["written"] != float64(10)) {
				t.Errorf("no final line with written=10: %v", lines)
			}
		})
	}
	code, stderr := runCLI(t, "set", "--dryrun")
	if code != exitUsage || !strings.HasPrefix(stderr, "cogpass: set: unknown flag --dryrun") {
		t.Errorf("without --log-format json: exit %d, %q", code, stderr)
	}
}
