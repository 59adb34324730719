package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func sampleJob() Job {
	return Job{
		Command: "set", UserPoolID: "us-east-1_A", Permanent: false,
		ManifestPath: "/data/users.csv", ManifestSHA256: "3fa2b1c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80", ManifestSize: 1234,
		Params:    map[string]string{"password-length": "16", "client-metadata": "team=ops"},
		CreatedAt: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC),
	}
}

func TestSidecarRoundTrip(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "users.report.csv")
	j := sampleJob()
	if err := WriteSidecar(report, j); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSidecar(report)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != SidecarVersion || !got.CreatedAt.Equal(j.CreatedAt) || got.ManifestPath != j.ManifestPath {
		t.Errorf("read back %+v", got)
	}
	if d := got.Diff(j); len(d) != 0 {
		t.Errorf("Diff after round trip: %q", d)
	}
	// Overwrite is atomic and leaves no temporary files behind.
	j.Params["password-length"] = "20"
	if err := WriteSidecar(report, j); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "users.report.csv.job.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the sidecar", names)
	}
	if got, _ := ReadSidecar(report); got.Params["password-length"] != "20" {
		t.Errorf("overwrite not visible: %v", got.Params)
	}
}

func TestReadSidecarErrors(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	if _, err := ReadSidecar(report); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing sidecar: %v, want fs.ErrNotExist", err)
	}
	tests := []struct{ content, want string }{
		{"{not json", "job sidecar"},
		{`{"version":99,"command":"set"}`, "unsupported version 99"},
		{`{"command":"set"}`, "unsupported version 0"},
	}
	for _, tt := range tests {
		os.WriteFile(SidecarPath(report), []byte(tt.content), 0o644)
		if _, err := ReadSidecar(report); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadSidecar(%q) = %v, want an error containing %q", tt.content, err, tt.want)
		}
	}
}

func TestJobDiff(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Job)
		want   []string
	}{
		{"same", func(*Job) {}, nil},
		{"moved manifest and later run", func(j *Job) { j.ManifestPath = "/elsewhere/u.csv"; j.CreatedAt = time.Now() }, nil},
		{"explicit current version", func(j *Job) { j.Version = SidecarVersion }, nil},
		{"pool", func(j *Job) { j.UserPoolID = "us-east-1_B" }, []string{"user pool differs: us-east-1_A vs us-east-1_B"}},
		{"no pool", func(j *Job) { j.UserPoolID = "" }, []string{"user pool differs: us-east-1_A vs (none)"}},
		{"command", func(j *Job) { j.Command = "reset" }, []string{"command differs: report was written by set, this run is reset"}},
		{"permanent", func(j *Job) { j.Permanent = true }, []string{"permanent differs: report was written with --permanent=false, this run has --permanent=true"}},
		{"manifest", func(j *Job) { j.ManifestSHA256 = "9c01aa"; j.ManifestSize = 99 }, []string{
			"manifest sha256 differs: report was written for 3fa2b1c4d5e6…, this manifest is 9c01aa",
			"manifest size differs: report was written for 1234 bytes, this manifest has 99",
		}},
		{"params", func(j *Job) {
			j.Params = map[string]string{"password-length": "20", "rate": "10"}
		}, []string{
			`client-metadata differs: "team=ops" vs (unset)`,
			`password-length differs: "16" vs "20"`,
			`rate differs: (unset) vs "10"`,
		}},
		{"empty param vs unset", func(j *Job) { j.Params["x"] = "" }, []string{`x differs: (unset) vs ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sampleJob(), sampleJob()
			a.Version = SidecarVersion // as read back
			tt.change(&b)
			if got := a.Diff(b); !slices.Equal(got, tt.want) {
				t.Errorf("Diff =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestHashFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(path, []byte("username\nalice\n"), 0o644)
	sum, size, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const want = "288e6e1788bdfb81051bed2c228a9de4d11e908461629ffb635777a0f09f258f" // sha256sum
	if sum != want || size != 15 {
		t.Errorf("HashFile = %s, %d; want %s, 15", sum, size, want)
	}
	if _, _, err := HashFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
