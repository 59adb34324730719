package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"cogpass/emulator"
	"cogpass/report"
)

// signingRegions is an endpoint in front of the emulator that records the
// region each call was signed for (the credential scope of its SigV4
// Authorization header).
type signingRegions struct {
	mu      sync.Mutex
	regions []string
	url     string
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/cognito-idp/aws4_request`)

func newSigningRegions(t *testing.T, e *jobEmulator) *signingRegions {
	s := &signingRegions{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := "unsigned"
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			region = m[1]
		}
		s.mu.Lock()
		s.regions = append(s.regions, region)
		s.mu.Unlock()
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	s.url = hs.URL
	return s
}

func (s *signingRegions) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.regions...)
}

// TestRegionFromThePoolID: without --region every command signs for the
// region its pool ID starts with, whatever AWS_REGION says; the job's
// record keeps that region.
func TestRegionFromThePoolID(t *testing.T) {
	e := newJobEmulator(t, 0, emulator.Options{})
	const pool = "eu-west-1_Faraway"
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: pool}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SeedUsersWithPassword(pool, 3, "Seeded-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_REGION", "us-east-1") // a default elsewhere
	proxy := newSigningRegions(t, e)
	dir := t.TempDir()
	manifest := writeManifest(t, 3)
	reportPath := filepath.Join(dir, "set.report.csv")
	runs := [][]string{
		{"policy", "--user-pool-id", pool},
		{"set", "--user-pool-id", pool, "--manifest", manifest, "--yes", "--rate", "2000", "--report", reportPath, "--secrets", filepath.Join(dir, "s.csv")},
		{"reset", "--user-pool-id", pool, "--manifest", manifest, "--yes", "--rate", "2000", "--report", filepath.Join(dir, "reset.report.csv"), "--include-federated"},
		{"export", "--user-pool-id", pool, "--output", filepath.Join(dir, "export.csv")},
		{"verify", "--report", reportPath},
	}
	for _, args := range runs {
		before := len(proxy.calls())
		code, stderr := runCLI(t, append(args, "--endpoint-url", proxy.url)...)
		if code != exitOK && code != exitRowsFailed {
			t.Fatalf("%s: exit %d; stderr:\n%s", args[0], code, stderr)
		}
		calls := proxy.calls()[before:]
		if len(calls) == 0 {
			t.Errorf("%s: no call reached the endpoint", args[0])
		}
		for _, r := range calls {
			if r != "eu-west-1" {
				t.Errorf("%s: a call signed for %s, want eu-west-1 (the pool's)", args[0], r)
				break
			}
		}
	}
	side, err := report.ReadSidecar(reportPath)
	if err != nil || side.Region != "eu-west-1" {
		t.Errorf("the job record's region is %q (%v), want eu-west-1", side.Region, err)
	}
}

// TestRegionAgainstThePoolID: a --region that is not the pool's, or a pool
// ID that is not one, is refused with exit 2 before any call, in one line
// and a hint, and leaves no file behind.
func TestRegionAgainstThePoolID(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	proxy := newSigningRegions(t, e)
	dir := t.TempDir()
	manifest := writeManifest(t, 3)
	rep := filepath.Join(dir, "r.csv")
	job := func(cmd string, extra ...string) []string {
		return append([]string{cmd, "--manifest", manifest, "--yes", "--report", rep, "--endpoint-url", proxy.url}, extra...)
	}
	other := func(cmd string, extra ...string) []string {
		return append([]string{cmd, "--endpoint-url", proxy.url}, extra...)
	}
	const mismatch = `--region "eu-west-1" does not match --user-pool-id us-east-1_Test, which is in us-east-1`
	const malformed = "is not a user pool ID"
	tests := []struct {
		args []string
		want string
	}{
		{job("set", "--user-pool-id", testPool, "--region", "eu-west-1"), mismatch},
		{job("reset", "--user-pool-id", testPool, "--region", "eu-west-1"), mismatch},
		{job("change", "--user-pool-id", testPool, "--region", "eu-west-1"), mismatch},
		{job("set", "--user-pool-id", testPool, "--region", "eu-west-1", "--dry-run"), mismatch},
		{other("export", "--user-pool-id", testPool, "--region", "eu-west-1", "--output", filepath.Join(dir, "e.csv")), mismatch},
		{other("policy", "--user-pool-id", testPool, "--region", "eu-west-1"), mismatch},
		{other("verify", "--user-pool-id", testPool, "--region", "eu-west-1", "--report", rep), mismatch},
		{job("set", "--user-pool-id", "us-east-1-Test"), `--user-pool-id "us-east-1-Test" ` + malformed},
		{job("reset", "--user-pool-id", "us-east-1_Te st"), malformed},
		{other("policy", "--user-pool-id", "Test"), malformed},
		{other("export", "--user-pool-id", "us-east-1_Test!", "--output", filepath.Join(dir, "e.csv")), malformed},
	}
	if err := os.WriteFile(rep, nil, 0o600); err != nil { // verify reads a report
		t.Fatal(err)
	}
	for _, tt := range tests {
		if tt.args[0] != "verify" {
			os.Remove(rep)
		}
		code, stderr := runCLI(t, tt.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || !strings.Contains(stderr, tt.want) || len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q and one hint line", tt.args, code, stderr, tt.want)
		}
		if n := len(proxy.calls()); n != 0 {
			t.Fatalf("%v: %d calls before the refusal", tt.args, n)
		}
		if tt.args[0] != "verify" {
			if _, err := os.Stat(rep); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%v: left %s behind", tt.args, rep)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "e.csv")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: left an export behind", tt.args)
		}
	}
	// The pool's own region, given as --region, is fine.
	os.Remove(rep)
	if code, stderr := runCLI(t, job("set", "--user-pool-id", testPool, "--region", "us-east-1", "--rate", "2000", "--secrets", filepath.Join(dir, "s.csv"))...); code != exitOK {
		t.Errorf("--region us-east-1 with %s: exit %d; stderr:\n%s", testPool, code, stderr)
	}
}

// TestRowPoolInAnotherRegion: a manifest row whose user_pool_id starts with
// another region than the job's is a bad row, found by the preflight,
// instead of a ResourceNotFoundException that would stop the job.
func TestRowPoolInAnotherRegion(t *testing.T) {
	e := newJobEmulator(t, 3, emulator.Options{})
	proxy := newSigningRegions(t, e)
	manifest := filepath.Join(t.TempDir(), "m.csv")
	body := "username,user_pool_id\nuser000001,us-east-1_Test\nuser000002,eu-west-1_Elsewhere\nuser000003,us-east-1_Test\n"
	if err := os.WriteFile(manifest, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "reset", "--manifest", manifest, "--yes", "--endpoint-url", proxy.url, "--rate", "2000")
	if code != exitUsage || !strings.Contains(stderr, "line 3: InvalidManifestRow: user pool eu-west-1_Elsewhere is in eu-west-1, and this job sends to us-east-1") {
		t.Fatalf("exit %d, want 2 and the row named; stderr:\n%s", code, stderr)
	}
	code, stderr = runCLI(t, "reset", "--manifest", manifest, "--yes", "--endpoint-url", proxy.url, "--rate", "2000", "--skip-invalid")
	if code != exitRowsFailed {
		t.Fatalf("--skip-invalid: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	got := map[string]string{}
	for _, r := range readReport(t, manifest+".report.csv") {
		got[r.Username] = string(r.Outcome) + "/" + r.ErrorCode
	}
	if got["user000001"] != "succeeded/" || got["user000003"] != "succeeded/" || got["user000002"] != "failed/InvalidManifestRow" {
		t.Errorf("rows: %v", got)
	}
}
