package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
)

// setArgs is a set job over manifest against e, with more flags.
func setArgs(e *jobEmulator, manifest string, more ...string) []string {
	return append([]string{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "2000"}, more...)
}

// dirFiles lists the names in dir.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// No output may be another output or the manifest: such a run is a usage
// error naming both flags, and it writes nothing.
func TestOutputsMustBeDistinct(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	tests := []struct {
		name      string
		args      func(manifest string) []string
		flagA     string
		flagB     string
		setupLink func(t *testing.T, manifest string)
	}{
		{"summary at the secrets file", func(m string) []string { return []string{"--summary-json", m + ".secrets.csv"} }, "--secrets", "--summary-json", nil},
		{"summary at the report", func(m string) []string { return []string{"--summary-json", m + ".report.csv"} }, "--report", "--summary-json", nil},
		{"summary at the manifest", func(m string) []string { return []string{"--summary-json", m} }, "--manifest", "--summary-json", nil},
		{"summary at the job record", func(m string) []string { return []string{"--summary-json", m + ".report.csv.job.json"} }, "job record", "--summary-json", nil},
		{"summary at the secrets file, spelled another way", func(m string) []string {
			return []string{"--summary-json", filepath.Join(filepath.Dir(m), ".", "sub", "..", filepath.Base(m)+".secrets.csv")}
		}, "--secrets", "--summary-json", func(t *testing.T, m string) { os.Mkdir(filepath.Join(filepath.Dir(m), "sub"), 0o755) }},
		{"summary through a symbolic link to the secrets file", func(m string) []string { return []string{"--summary-json", m + ".link"} }, "--secrets", "--summary-json",
			func(t *testing.T, m string) { os.Symlink(m+".secrets.csv", m+".link") }},
		{"report and secrets one file on a resume", func(m string) []string {
			out := filepath.Join(filepath.Dir(m), "out.jsonl")
			return []string{"--report", out, "--secrets", out, "--resume"}
		}, "--report", "--secrets", nil},
		{"report and secrets one file", func(m string) []string {
			out := filepath.Join(filepath.Dir(m), "out.jsonl")
			return []string{"--report", out, "--secrets", out}
		}, "--report", "--secrets", nil},
		{"secrets at the manifest", func(m string) []string { return []string{"--secrets", m} }, "--manifest", "--secrets", nil},
		// The lock files are the job's too: a report or secrets file at
		// the other's lock would be created by the lock itself, then
		// appended to, and removed when the job ends.
		{"secrets at the report's lock on a resume", func(m string) []string { return []string{"--secrets", m + ".report.csv.lock", "--resume"} }, "--report's lock", "--secrets", nil},
		{"report at the secrets' lock on a resume", func(m string) []string { return []string{"--report", m + ".secrets.csv.lock", "--resume"} }, "--secrets' lock", "--report", nil},
		{"summary at the report's lock", func(m string) []string { return []string{"--summary-json", m + ".report.csv.lock"} }, "--report's lock", "--summary-json", nil},
		{"summary at the secrets' lock", func(m string) []string { return []string{"--summary-json", m + ".secrets.csv.lock"} }, "--secrets' lock", "--summary-json", nil},
		{"report a hard link of the manifest", func(m string) []string { return []string{"--report", m + ".hard", "--resume"} }, "--manifest", "--report",
			func(t *testing.T, m string) {
				if err := os.Link(m, m+".hard"); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := writeManifest(t, 3)
			dir := filepath.Dir(manifest)
			if tt.setupLink != nil {
				tt.setupLink(t, manifest)
			}
			manifestBefore, _ := os.ReadFile(manifest)
			before := dirFiles(t, dir)
			code, stderr := runCLI(t, setArgs(e, manifest, tt.args(manifest)...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tt.flagA) || !strings.Contains(stderr, tt.flagB) || !strings.Contains(stderr, "name the same file") {
				t.Errorf("the refusal does not name %s and %s:\n%s", tt.flagA, tt.flagB, stderr)
			}
			if after := dirFiles(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("the refused run left files: before %v, after %v", before, after)
			}
			if data, _ := os.ReadFile(manifest); string(data) != string(manifestBefore) {
				t.Error("the manifest changed")
			}
		})
	}
}

// Resume with an output that is a hard link of another: refused, and the
// report and secrets are left as they were.
func TestResumeRefusesHardLinkedOutputs(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := writeManifest(t, 3)
	if code, stderr := runCLI(t, setArgs(e, manifest)...); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	secrets, _ := os.ReadFile(manifest + ".secrets.csv")
	link := filepath.Join(filepath.Dir(manifest), "another-name.csv")
	if err := os.Link(manifest+".secrets.csv", link); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, setArgs(e, manifest, "--resume", "--summary-json", link)...)
	if code != exitUsage || !strings.Contains(stderr, "--secrets and --summary-json name the same file") {
		t.Fatalf("exit %d, want 2 naming --secrets and --summary-json; stderr:\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(manifest + ".secrets.csv"); string(data) != string(secrets) {
		t.Error("the secrets file changed")
	}
}

// --summary-json is created like the other outputs: refused if it exists,
// unless it is the summary this same job wrote, on a --resume.
func TestSummaryJSONNeverOverwrites(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := writeManifest(t, 3)
	dir := filepath.Dir(manifest)
	other := filepath.Join(dir, "precious.json")
	os.WriteFile(other, []byte(`{"mine":true}`), 0o644)

	code, stderr := runCLI(t, setArgs(e, manifest, "--summary-json", other)...)
	if code != exitUsage || !strings.Contains(stderr, "--summary-json") || !strings.Contains(stderr, "exists") {
		t.Fatalf("summary over an existing file: exit %d, want 2; stderr:\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(other); string(data) != `{"mine":true}` {
		t.Fatalf("the existing file was overwritten: %s", data)
	}
	if _, err := os.Stat(manifest + ".report.csv"); err == nil {
		t.Fatal("the refused run wrote a report")
	}

	summary := filepath.Join(dir, "summary.json")
	if code, stderr := runCLI(t, setArgs(e, manifest, "--summary-json", summary)...); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	first, _ := os.ReadFile(summary)
	if !strings.Contains(string(first), `"rows": 3`) {
		t.Fatalf("summary of the first run:\n%s", first)
	}
	// The same job resumed: its own summary is replaced.
	if code, stderr := runCLI(t, setArgs(e, manifest, "--resume", "--summary-json", summary)...); code != exitOK {
		t.Fatalf("resume with the job's own summary: exit %d\n%s", code, stderr)
	}
	second, _ := os.ReadFile(summary)
	if !strings.Contains(string(second), `"resumed_rows": 3`) {
		t.Fatalf("the resume did not replace the summary:\n%s", second)
	}
	// A resume pointed at a file that is not the job's summary is refused.
	if code, stderr := runCLI(t, setArgs(e, manifest, "--resume", "--summary-json", other)...); code != exitUsage {
		t.Fatalf("resume over another file: exit %d, want 2\n%s", code, stderr)
	}
	// So is the job's summary once someone changed it.
	os.WriteFile(summary, []byte("edited\n"), 0o644)
	if code, stderr := runCLI(t, setArgs(e, manifest, "--resume", "--summary-json", summary)...); code != exitUsage {
		t.Fatalf("resume over an edited summary: exit %d, want 2\n%s", code, stderr)
	}
	for _, name := range dirFiles(t, dir) {
		if strings.Contains(name, ".tmp") || strings.HasSuffix(name, ".lock") {
			t.Errorf("left behind: %s", name)
		}
	}
}

// A --resume whose report does not exist yet starts the job, making the
// report and its record; when its secrets file is then refused (here: mode
// 0644), the run exits 2 and takes them back, as every refused start does.
func TestRefusedResumeLeavesNoNewReport(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	manifest := writeManifest(t, 3)
	dir := filepath.Dir(manifest)
	secrets := filepath.Join(dir, "open.secrets.csv")
	if err := os.WriteFile(secrets, []byte("line,username,password,status\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	code, stderr := runCLI(t, setArgs(e, manifest, "--resume", "--report", filepath.Join(dir, "new.csv"), "--secrets", secrets)...)
	if code != exitUsage || !strings.Contains(stderr, "mode 0644") {
		t.Fatalf("exit %d, want 2 refusing the secrets file's mode; stderr:\n%s", code, stderr)
	}
	if after := dirFiles(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the refused resume left files: before %v, after %v", before, after)
	}
}
