package export_test

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"cogpass/export"
	"cogpass/input"
)

// TestRun: what the selection keeps and the exclusions do not name is
// written, up to the limit, and counted.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	out, err := export.Create("", input.FormatCSV, &buf)
	if err != nil {
		t.Fatal(err)
	}
	var p export.Progress
	res, err := export.Run(t.Context(), &fakePool{n: 200}, export.Options{UserPoolID: fast.UserPoolID, Rate: fast.Rate, Backoff: fast.Backoff,
		Selection: export.Selection{Status: "confirmed"}, Exclusions: export.Exclusions{"u0001": {}, "u0003": {}}, Limit: 70, Progress: &p}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 70 || res.Excluded != 2 || res.Users != 72 || res.Pages != 2 || p.Listed.Load() != 72 || p.Written.Load() != 70 {
		t.Errorf("result %+v, progress listed %d written %d", res, p.Listed.Load(), p.Written.Load())
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 71 || !strings.HasPrefix(lines[1], "u0000,") || !strings.HasPrefix(lines[2], "u0002,") || !strings.HasPrefix(lines[70], "u0071,") {
		t.Errorf("%d lines: %q ... %q", len(lines), lines[:3], lines[len(lines)-1])
	}

	buf.Reset()
	out, _ = export.Create("", input.FormatCSV, &buf)
	res, err = export.Run(t.Context(), &fakePool{n: 200}, export.Options{UserPoolID: fast.UserPoolID, Rate: fast.Rate, Backoff: fast.Backoff,
		Selection: export.Selection{Status: "FORCE_CHANGE_PASSWORD"}}, out)
	if err != nil || res.Written != 0 || res.Users != 200 || buf.String() != strings.Join(export.Columns, ",")+"\n" {
		t.Errorf("nothing kept: err %v, %+v, %q", err, res, buf.String())
	}
}

// TestRunCutShortIsAbandoned: a listing that fails leaves its file under
// the .partial name only.
func TestRunCutShortIsAbandoned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.csv")
	out, err := export.Create(path, input.FormatCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := &fakePool{n: 200, fail: func(call, start int) error {
		if start >= 120 {
			return apiError("ResourceNotFoundException", smithy.FaultClient)
		}
		return nil
	}}
	res, err := export.Run(t.Context(), pool, export.Options{UserPoolID: fast.UserPoolID, Rate: fast.Rate, Backoff: fast.Backoff}, out)
	var le *export.ListError
	if !errors.As(err, &le) || le.Page != 3 || res.Written != 120 {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if _, err := os.Stat(path); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("a cut export is visible as %s: %v", path, err)
	}
	data, err := os.ReadFile(path + ".partial")
	if err != nil || strings.Count(string(data), "\n") != 121 {
		t.Errorf(".partial: %d lines, %v", strings.Count(string(data), "\n"), err)
	}
}
