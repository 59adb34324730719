package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/emulator"
	"cogpass/export"
	"cogpass/report"
)

const exportPool = "us-east-1_Export"

// expUser is a seeded user as an export must write it.
type expUser struct {
	i                               int
	name, status, email             string
	enabled, emailVerified, phoneOK bool
	created, modified               time.Time
	expired                         bool // FORCE_CHANGE_PASSWORD past the 7-day validity
}

func (u expUser) record() []string {
	return []string{u.name, u.status, strconv.FormatBool(u.enabled), u.email, strconv.FormatBool(u.emailVerified),
		strconv.FormatBool(u.phoneOK), u.created.UTC().Format(time.RFC3339), u.modified.UTC().Format(time.RFC3339)}
}

// expSpec is user i of the mixed pool: six in ten CONFIRMED (every seventh
// user disabled), two FORCE_CHANGE_PASSWORD (half of them expired, some
// just, some nearly), one RESET_REQUIRED, one EXTERNAL_PROVIDER.
func expSpec(i int, now time.Time) expUser {
	u := expUser{i: i, name: fmt.Sprintf("user%06d", i), email: fmt.Sprintf("user%06d@example.com", i),
		enabled: i%7 != 0, emailVerified: i%3 != 0, phoneOK: i%4 == 0,
		created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
	u.modified = u.created.Add(time.Hour)
	switch i % 10 {
	case 6, 7:
		u.status = emulator.StatusForceChangePassword
		switch i % 20 {
		case 6:
			u.modified, u.expired = now.Add(-10*24*time.Hour), true
		case 7:
			u.modified, u.expired = now.Add(-7*24*time.Hour-time.Hour), true
		case 16:
			u.modified = now.Add(-6*24*time.Hour - 23*time.Hour)
		case 17:
			u.modified = now.Add(-time.Hour)
		}
	case 8:
		u.status = emulator.StatusResetRequired
	case 9:
		u.status = emulator.StatusExternalProvider
	default:
		u.status = emulator.StatusConfirmed
	}
	return u
}

type exportEnv struct {
	srv   *emulator.Server
	url   string
	users []expUser
}

// newExportEnv starts an in-process emulator (quotas off) holding n users
// of expSpec, and points the AWS SDK's environment at nothing real. wrap,
// when set, sits between the SDK and the emulator.
func newExportEnv(t *testing.T, n int, opts emulator.Options, wrap func(http.Handler) http.Handler) *exportEnv {
	t.Helper()
	srv := emulator.New(opts)
	if err := srv.CreatePool(emulator.PoolConfig{ID: exportPool}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	e := &exportEnv{srv: srv}
	for i := 1; i <= n; i++ {
		u := expSpec(i, now)
		su := emulator.SeedUser{Username: u.name, Status: u.status, Disabled: !u.enabled, Email: u.email,
			EmailVerified: u.emailVerified, Created: u.created, LastModified: u.modified}
		if u.phoneOK {
			su.Phone, su.PhoneVerified = "+15555550100", true
		}
		if err := srv.AddUser(exportPool, su); err != nil {
			t.Fatal(err)
		}
		e.users = append(e.users, u)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	setTestAWSEnv(t)
	return e
}

func setTestAWSEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// The tests speak plain HTTP on loopback; a CA bundle from the
	// machine's environment has nothing to do with them.
	t.Setenv("AWS_CA_BUNDLE", "")
}

// cli runs cogpass in-process: exit code, stdout, stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stdout.String(), stderr.String()
}

func (e *exportEnv) export(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return cli(t, append([]string{"export", "--user-pool-id", exportPool, "--endpoint-url", e.url, "--rate", "100000"}, args...)...)
}

func (e *exportEnv) want(keep func(expUser) bool) [][]string {
	var out [][]string
	for _, u := range e.users {
		if keep(u) {
			out = append(out, u.record())
		}
	}
	return out
}

// readExport parses an export, CSV or JSON Lines, into records in
// export.Columns' order; the header must be export.Columns.
func readExport(t *testing.T, text string, jsonl bool) [][]string {
	t.Helper()
	if !jsonl {
		recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatalf("export is not CSV: %v", err)
		}
		if len(recs) == 0 || !slices.Equal(recs[0], export.Columns) {
			t.Fatalf("header %v, want %v", recs, export.Columns)
		}
		return recs[1:]
	}
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if len(m) != len(export.Columns) {
			t.Fatalf("line %q: want the keys %v", sc.Text(), export.Columns)
		}
		rec := make([]string, len(export.Columns))
		for i, c := range export.Columns {
			v, ok := m[c]
			if !ok {
				t.Fatalf("line %q lacks %s", sc.Text(), c)
			}
			rec[i] = fmt.Sprint(v)
		}
		out = append(out, rec)
	}
	return out
}

func sameRecords(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d users exported, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("user %d:\n got %q\nwant %q", i, got[i], want[i])
			return
		}
	}
}

func exportPoolSize() int {
	if testing.Short() {
		return 1000
	}
	return 5000
}

func TestExportSelectors(t *testing.T) {
	e := newExportEnv(t, exportPoolSize(), emulator.Options{Seed: 1}, nil)
	dir := t.TempDir()
	exclude := filepath.Join(dir, "admins.csv")
	if err := os.WriteFile(exclude, []byte("username,note\nuser000001,x\nUSER000002,x\nuser000003@example.com,by email\nnobody,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	is := func(status string) func(expUser) bool { return func(u expUser) bool { return u.status == status } }
	tests := []struct {
		name   string
		args   []string
		output string // file name; "" = stdout
		keep   func(expUser) bool
		limit  int
	}{
		{name: "everyone to stdout", keep: func(expUser) bool { return true }},
		{name: "everyone to JSON Lines", output: "all.jsonl", keep: func(expUser) bool { return true }},
		{name: "status CONFIRMED", args: []string{"--status", "CONFIRMED"}, output: "confirmed.csv", keep: is("CONFIRMED")},
		{name: "status in lower case", args: []string{"--status", "force_change_password"}, keep: is("FORCE_CHANGE_PASSWORD")},
		{name: "status RESET_REQUIRED", args: []string{"--status", "RESET_REQUIRED"}, output: "reset.ndjson", keep: is("RESET_REQUIRED")},
		{name: "status EXTERNAL_PROVIDER", args: []string{"--status", "EXTERNAL_PROVIDER"}, keep: is("EXTERNAL_PROVIDER")},
		{name: "status with no user", args: []string{"--status", "COMPROMISED"}, output: "none.csv", keep: func(expUser) bool { return false }},
		{name: "filter on a username prefix", args: []string{"--filter", `username ^= "user0001"`},
			keep: func(u expUser) bool { return strings.HasPrefix(u.name, "user0001") }},
		{name: "filter on disabled users", args: []string{"--filter", `status = "Disabled"`},
			keep: func(u expUser) bool { return !u.enabled }},
		{name: "filter and status intersect", args: []string{"--filter", `status = "Disabled"`, "--status", "FORCE_CHANGE_PASSWORD"},
			keep: func(u expUser) bool { return !u.enabled && u.status == "FORCE_CHANGE_PASSWORD" }},
		{name: "expired temporary passwords", args: []string{"--expired-temporary"}, output: "expired.csv",
			keep: func(u expUser) bool { return u.expired }},
		{name: "expired with a filter", args: []string{"--expired-temporary", "--filter", `status = "Enabled"`},
			keep: func(u expUser) bool { return u.expired && u.enabled }},
		{name: "exclude by username, case and email", args: []string{"--status", "CONFIRMED", "--exclude", exclude},
			keep: func(u expUser) bool { return u.status == "CONFIRMED" && u.i > 3 }},
		{name: "limit", args: []string{"--status", "RESET_REQUIRED", "--limit", "25"}, output: "limited.csv", keep: is("RESET_REQUIRED"), limit: 25},
		{name: "limit over the count", args: []string{"--status", "RESET_REQUIRED", "--limit", "100000"}, keep: is("RESET_REQUIRED")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			path := ""
			if tt.output != "" {
				path = filepath.Join(dir, tt.output)
				args = append(slices.Clone(args), "--output", path)
			}
			code, stdout, stderr := e.export(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			text := stdout
			if path != "" {
				if stdout != "" {
					t.Errorf("stdout not empty with --output: %q", stdout[:min(len(stdout), 200)])
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				text = string(data)
				if _, err := os.Stat(path + ".partial"); err == nil {
					t.Errorf("%s.partial left behind", path)
				}
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", fi.Mode().Perm())
				}
			}
			want := e.want(tt.keep)
			if tt.limit > 0 {
				want = want[:tt.limit]
			}
			if len(want) == 0 && !strings.Contains(tt.name, "no user") {
				t.Fatal("the selector selects nobody: a broken test")
			}
			jsonl := strings.HasSuffix(path, "jsonl") || strings.HasSuffix(path, "ndjson")
			sameRecords(t, readExport(t, text, jsonl), want)
			if !strings.Contains(stderr, fmt.Sprintf("export: %d users written", len(want))) {
				t.Errorf("stderr lacks the final count:\n%s", stderr)
			}
		})
	}
	// Every selector but --expired-temporary is one listing; that one also
	// reads the pool once per run.
	if got := e.srv.Stats()["DescribeUserPool"].Calls; got != 2 {
		t.Errorf("%d DescribeUserPool calls, want 2 (one per --expired-temporary run)", got)
	}
}

func TestExportExpiredUsesThePoolsValidity(t *testing.T) {
	srv := emulator.New(emulator.Options{Seed: 2})
	p := policy.Default()
	p.TemporaryPasswordValidityDays = 1
	if err := srv.CreatePool(emulator.PoolConfig{ID: exportPool, Policy: p}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, su := range []emulator.SeedUser{
		{Username: "fresh", Status: emulator.StatusForceChangePassword, LastModified: now.Add(-12 * time.Hour)},
		{Username: "stale", Status: emulator.StatusForceChangePassword, LastModified: now.Add(-25 * time.Hour)},
		{Username: "old-but-confirmed", LastModified: now.Add(-30 * 24 * time.Hour)},
		{Username: "stale-disabled", Status: emulator.StatusForceChangePassword, Disabled: true, LastModified: now.Add(-48 * time.Hour)},
	} {
		if err := srv.AddUser(exportPool, su); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	setTestAWSEnv(t)
	code, stdout, stderr := cli(t, "export", "--user-pool-id", exportPool, "--endpoint-url", hs.URL, "--expired-temporary")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var names []string
	for _, rec := range readExport(t, stdout, false) {
		names = append(names, rec[0])
	}
	if !slices.Equal(names, []string{"stale", "stale-disabled"}) {
		t.Errorf("exported %v", names)
	}
	if !strings.Contains(stderr, "validity_days=1") {
		t.Errorf("stderr does not say which validity it used:\n%s", stderr)
	}
}

// The export is a manifest: set and reset take it unchanged.
func TestExportRoundTripsIntoDryRun(t *testing.T) {
	e := newExportEnv(t, 400, emulator.Options{Seed: 3}, nil)
	dir := t.TempDir()
	for _, tt := range []struct {
		command, file string
	}{
		{"set", "confirmed.csv"},
		{"reset", "confirmed.jsonl"},
	} {
		t.Run(tt.command, func(t *testing.T) {
			manifest := filepath.Join(dir, tt.file)
			code, _, stderr := e.export(t, "--filter", `username ^= "user0001"`, "--status", "CONFIRMED", "--output", manifest)
			if code != 0 {
				t.Fatalf("export: exit %d: %s", code, stderr)
			}
			want := e.want(func(u expUser) bool { return strings.HasPrefix(u.name, "user0001") && u.status == "CONFIRMED" })
			reportPath := manifest + ".report.csv"
			code, _, stderr = cli(t, tt.command, "--user-pool-id", exportPool, "--endpoint-url", e.url, "--manifest", manifest,
				"--dry-run", "--yes", "--report", reportPath)
			if code != 0 && code != 1 {
				t.Fatalf("%s --dry-run: exit %d: %s", tt.command, code, stderr)
			}
			if !strings.Contains(stderr, "ignoring them") || !strings.Contains(stderr, "last_modified") {
				t.Errorf("no warning naming the extra columns:\n%s", stderr)
			}
			rows := readCSVFile(t, reportPath)
			if len(rows) != len(want) {
				t.Fatalf("%d report rows for %d exported users", len(rows), len(want))
			}
			seen := map[string]bool{}
			for _, r := range rows {
				seen[r["username"]] = true
				if r["error_code"] == "InvalidManifestRow" {
					t.Errorf("the dry run could not read line %s: %s", r["line"], r["message"])
				}
				if tt.command == "set" && r["outcome"] != "planned" {
					t.Errorf("set --dry-run: line %s %s: %s %s", r["line"], r["outcome"], r["error_code"], r["message"])
				}
				if r["outcome"] != "planned" && r["outcome"] != "failed" && r["outcome"] != "skipped" {
					t.Errorf("line %s: outcome %q", r["line"], r["outcome"])
				}
			}
			for _, w := range want {
				if !seen[w[0]] {
					t.Errorf("%s has no report row", w[0])
				}
			}
			if tt.command == "set" && code != 0 {
				t.Errorf("set --dry-run over CONFIRMED users: exit %d", code)
			}
		})
	}
	for _, op := range []string{"AdminSetUserPassword", "AdminResetUserPassword"} {
		if n := e.srv.Stats()[op].Calls; n != 0 {
			t.Errorf("a dry run made %d %s calls", n, op)
		}
	}
}

// readCSVFile reads a CSV file with a header into maps.
func readCSVFile(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("read %s: %v", path, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// failListingAfter answers every ListUsers call after the first ok with
// an InternalErrorException, as a Cognito outage would.
func failListingAfter(ok int64, calls *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListUsers") && calls.Add(1) > ok {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.Header().Set("x-amzn-ErrorType", "InternalErrorException")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"__type":"InternalErrorException","message":"injected outage"}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestExportCutShortFails(t *testing.T) {
	var calls atomic.Int64
	e := newExportEnv(t, 600, emulator.Options{Seed: 4}, failListingAfter(3, &calls))
	out := filepath.Join(t.TempDir(), "users.csv")
	code, stdout, stderr := e.export(t, "--output", out, "--max-attempts", "3", "--backoff-base", "1ms", "--backoff-cap", "2ms")
	if code != exitStoppedEarly {
		t.Fatalf("exit %d, want %d: %s", code, exitStoppedEarly, stderr)
	}
	for _, want := range []string{"page 4, after 180 users", "gave up after 3 attempts", "InternalErrorException", out + ".partial", "incomplete"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s exists: a cut listing must not look complete", out)
	}
	data, err := os.ReadFile(out + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, readExport(t, string(data), false), e.want(func(u expUser) bool { return u.i <= 180 }))
	if n := calls.Load(); n != 3+3 {
		t.Errorf("%d ListUsers calls, want 3 pages and 3 attempts at the 4th", n)
	}

	// On stdout the rows already written cannot be taken back: the exit
	// code and the message say to discard them.
	calls.Store(0)
	code, _, stderr = e.export(t, "--max-attempts", "2", "--backoff-base", "1ms")
	if code != exitStoppedEarly || !strings.Contains(stderr, "page 4, after 180 users") || !strings.Contains(stderr, "discard") {
		t.Errorf("stdout export: exit %d: %s", code, stderr)
	}

	// A rerun overwrites the stale .partial and completes.
	calls.Store(-1000)
	code, _, stderr = e.export(t, "--output", out)
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out + ".partial"); err == nil {
		t.Error(".partial left after a complete rerun")
	}
}

func TestExportRetriesFaultsAndThrottles(t *testing.T) {
	// Random faults on a fifth of the calls, and a UserList quota far under
	// what the export asks for: the listing still comes out exact. A listing
	// is sequential (each page waits for the last), so its rate is bounded by
	// the round trip: the quota is 4/s (a burst of 4) and the export's
	// ceiling 200/s, so that the ~17 calls, which need at least 3.25 s at
	// 4/s, throttle even on a loaded machine where a round trip takes 100 ms
	// (at 10/s and the default ceiling they all went through there).
	e := newExportEnv(t, 900, emulator.Options{Seed: 5, FaultRate: 0.2, Quota: quota.Rates{quota.UserList: 4}}, nil)
	code, stdout, stderr := e.export(t, "--rate", "200", "--max-attempts", "30", "--backoff-base", "1ms", "--backoff-cap", "100ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameRecords(t, readExport(t, stdout, false), e.want(func(expUser) bool { return true }))
	st := e.srv.Stats()["ListUsers"]
	if st.Throttled == 0 || st.Faults == 0 {
		t.Errorf("the test did not exercise retries: %+v", st)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d throttled", st.Throttled)) {
		t.Errorf("the final line does not count the %d throttles:\n%s", st.Throttled, stderr)
	}
}

func TestExportFatalErrors(t *testing.T) {
	e := newExportEnv(t, 10, emulator.Options{Seed: 6}, nil)
	code, _, stderr := cli(t, "export", "--user-pool-id", "us-east-1_Missing", "--endpoint-url", e.url)
	if code != exitStoppedEarly || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "check --user-pool-id") {
		t.Errorf("unknown pool: exit %d: %s", code, stderr)
	}
	code, _, stderr = cli(t, "export", "--user-pool-id", "us-east-1_Missing", "--endpoint-url", e.url, "--expired-temporary")
	if code != exitStoppedEarly || !strings.Contains(stderr, "describe user pool") {
		t.Errorf("unknown pool, expired: exit %d: %s", code, stderr)
	}
}

func TestExportUsageErrors(t *testing.T) {
	e := newExportEnv(t, 10, emulator.Options{Seed: 7}, nil)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.csv")
	badExclude := filepath.Join(dir, "bad.csv")
	for path, text := range map[string]string{exists: "x\n", badExclude: "username\nok\n\"bad\x00name\"\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no pool", []string{"export", "--endpoint-url", e.url}, "--user-pool-id is required"},
		{"unknown status", []string{"--status", "FORCE_CHANGE"}, `--status "FORCE_CHANGE": did you mean FORCE_CHANGE_PASSWORD? (want one of`},
		{"status like none", []string{"--status", "zzz"}, "cogpass: export: --status \"zzz\": want one of UNCONFIRMED, CONFIRMED, ARCHIVED, COMPROMISED, UNKNOWN, RESET_REQUIRED, FORCE_CHANGE_PASSWORD, EXTERNAL_PROVIDER\n"},
		{"contradiction", []string{"--expired-temporary", "--status", "CONFIRMED"}, "cogpass: --expired-temporary selects FORCE_CHANGE_PASSWORD users; --status CONFIRMED contradicts it\n"},
		{"output exists", []string{"--output", exists}, "already exists"},
		{"output of no known format", []string{"--output", filepath.Join(dir, "users.txt")}, "cannot tell the format"},
		{"exclude missing", []string{"--exclude", filepath.Join(dir, "missing.csv")}, "--exclude"},
		{"exclude with a bad row", []string{"--exclude", badExclude}, "line 3"},
		{"filter Cognito refuses", []string{"--filter", "nonsense"}, `--filter "nonsense": Cognito refused it`},
		{"negative limit", []string{"--limit", "-1"}, "--limit"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var stderr string
			if tt.args[0] == "export" {
				code, _, stderr = cli(t, tt.args...)
			} else {
				code, _, stderr = e.export(t, tt.args...)
			}
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitUsage, tt.want, stderr)
			}
		})
	}
	if n := e.srv.Stats()["ListUsers"].Calls; n != 1 {
		t.Errorf("%d ListUsers calls: only the refused filter should have reached the pool", n)
	}
}

func TestExportProgressLine(t *testing.T) {
	slow := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(30 * time.Millisecond)
			h.ServeHTTP(w, r)
		})
	}
	e := newExportEnv(t, 200, emulator.Options{Seed: 8}, slow)
	code, _, stderr := e.export(t, "--progress-interval", "10ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "export progress") || !strings.Contains(stderr, "listed=") {
		t.Errorf("no progress line:\n%s", stderr)
	}
	code, _, stderr = e.export(t, "--progress-interval", "10ms", "--quiet")
	if code != 0 || strings.Contains(stderr, "export progress") || !strings.Contains(stderr, "users written") {
		t.Errorf("--quiet: exit %d:\n%s", code, stderr)
	}
}

// TestExportNeutralisesFormulas: cells from the pool that a spreadsheet
// would read as a formula are prefixed with a quote in a CSV export (mode
// 0600), and the export used as a manifest still names the same users: a
// reset from it reaches them.
func TestExportNeutralisesFormulas(t *testing.T) {
	e := newExportEnv(t, 0, emulator.Options{}, nil)
	names := []string{"=cmd", "+1", "@admin", "-x", "'=q"}
	for _, n := range names {
		if err := e.srv.AddUser(exportPool, emulator.SeedUser{Username: n, Status: emulator.StatusConfirmed, Email: "=x@example.com", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.csv")
	if code, _, stderr := e.export(t, "--output", manifest); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	fi, err := os.Stat(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v, want 0600", fi.Mode().Perm())
	}
	for _, r := range readCSVFile(t, manifest) {
		for _, c := range []string{"username", "email"} {
			if v := r[c]; v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("%s cell %q starts a formula", c, v)
			}
		}
	}
	code, _, stderr := cli(t, "reset", "--user-pool-id", exportPool, "--endpoint-url", e.url, "--manifest", manifest, "--yes", "--rate", "1000")
	if code != 0 {
		t.Fatalf("reset: exit %d: %s", code, stderr)
	}
	reset := map[string]bool{}
	if err := report.ReadRows(manifest+".report.csv", func(r report.Row) error {
		reset[r.Username] = r.Outcome == report.Succeeded && r.UserStatus == emulator.StatusResetRequired
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !reset[n] {
			t.Errorf("user %q was not reset", n)
		}
	}
	rows := readCSVFile(t, manifest+".report.csv")
	for _, r := range rows {
		if v := r["username"]; v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
			t.Errorf("report username cell %q starts a formula", v)
		}
	}
	fi, err = os.Stat(manifest + ".report.csv")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestExportSingular: one user in one call is "1 user", "1 call".
func TestExportSingular(t *testing.T) {
	e := newExportEnv(t, 1, emulator.Options{}, nil)
	code, _, stderr := e.export(t)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "export: 1 user written to standard output (1 listed in 1 page, 0 excluded, 1 call, 0 throttled") {
		t.Errorf("final line: %s", stderr)
	}
}

// TestExportRefusedFilterLeavesNothing: a filter Cognito refuses is a usage
// error (exit 2), and a usage error leaves nothing behind: neither --output
// nor its .partial (which held the header only) is left in the directory.
func TestExportRefusedFilterLeavesNothing(t *testing.T) {
	e := newExportEnv(t, 10, emulator.Options{Seed: 7}, nil)
	dir := t.TempDir()
	for _, name := range []string{"f.csv", "f.jsonl"} {
		code, _, stderr := e.export(t, "--filter", "bogus", "--output", filepath.Join(dir, name))
		if code != exitUsage || !strings.Contains(stderr, `--filter "bogus": Cognito refused it`) {
			t.Errorf("%s: exit %d, want %d:\n%s", name, code, exitUsage, stderr)
		}
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		t.Errorf("left behind: %s", f.Name())
	}
}
