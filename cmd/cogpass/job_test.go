package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/emulator"
	"cogpass/report"
)

const testPool = "us-east-1_Test"

// jobEmulator is an in-process emulator with one pool of n seeded users
// (user000001...) and an app client that allows admin password sign-in.
type jobEmulator struct {
	srv      *emulator.Server
	url      string
	client   *cip.Client
	clientID string
}

func newJobEmulator(t *testing.T, n int, opts emulator.Options) *jobEmulator {
	t.Helper()
	srv := emulator.New(opts)
	if err := srv.CreatePool(emulator.PoolConfig{ID: testPool}); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if err := srv.SeedUsersWithPassword(testPool, n, "Seeded-Passw0rd!"); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &jobEmulator{srv: srv, url: hs.URL}
	e.client = cip.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	out, err := e.client.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(testPool), ClientName: aws.String("test"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = aws.ToString(out.UserPoolClient.ClientId)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	return e
}

func (e *jobEmulator) status(t *testing.T, username string) string {
	t.Helper()
	out, err := e.client.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(testPool), Username: aws.String(username)})
	if err != nil {
		t.Fatalf("AdminGetUser %s: %v", username, err)
	}
	return string(out.UserStatus)
}

func (e *jobEmulator) signIn(username, password string) (*cip.AdminInitiateAuthOutput, error) {
	return e.client.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(testPool), ClientId: aws.String(e.clientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
}

func (e *jobEmulator) writes(op string) int64 { return e.srv.Stats()[op].Calls }

// writeManifest writes a CSV manifest of users user000001..user00000n plus
// extra lines, and returns its path.
func writeManifest(t *testing.T, n int, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("username,password,permanent\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%06d,,\n", i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCLI runs cogpass in-process and returns its exit code and stderr.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stderr.String()
}

func readReport(t *testing.T, path string) []report.Row {
	t.Helper()
	var rows []report.Row
	if err := report.ReadRows(path, func(r report.Row) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

// readSecrets returns each user's password as the secrets file has it: its
// last record, unless that record says Cognito refused it.
func readSecrets(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if _, err := report.ReadSecrets(path, nil, func(r report.SecretRecord) error {
		if r.Status == report.SecretRefused {
			delete(m, r.Username)
		} else {
			m[r.Username] = r.Password
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSetJobAgainstEmulator(t *testing.T) {
	e := newJobEmulator(t, 300, emulator.Options{})
	manifest := writeManifest(t, 300, "ghost01,,", "ghost02,,", "user000301,,")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--rate", "2000", "--yes")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1 (three unknown users); stderr:\n%s", code, stderr)
	}
	rows := readReport(t, manifest+".report.csv")
	if len(rows) != 303 {
		t.Fatalf("%d report rows, want 303", len(rows))
	}
	byUser := map[string]report.Row{}
	for _, r := range rows {
		if _, dup := byUser[r.Username]; dup {
			t.Errorf("%s reported twice", r.Username)
		}
		byUser[r.Username] = r
	}
	for i := 1; i <= 303; i++ {
		name := fmt.Sprintf("user%06d", i)
		want := report.Row{Line: i + 1, Username: name, Action: "set-temporary", Outcome: report.Succeeded, Attempts: 1, UserStatus: "FORCE_CHANGE_PASSWORD"}
		switch i {
		case 301:
			name = "ghost01"
		case 302:
			name = "ghost02"
		case 303:
			name = "user000301" // one past the seeded users
		}
		want.Username = name
		if i > 300 {
			want.Outcome, want.ErrorCode, want.Message, want.UserStatus = report.Failed, "UserNotFoundException", "User does not exist.", ""
		}
		got := byUser[name]
		got.DurationMS, got.FinishedAt = 0, want.FinishedAt
		if got != want {
			t.Errorf("row for %s = %+v, want %+v", name, got, want)
		}
	}
	secrets := readSecrets(t, manifest+".secrets.csv")
	if len(secrets) != 300 {
		t.Errorf("%d secrets, want 300", len(secrets))
	}
	info, err := os.Stat(manifest + ".secrets.csv")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode = %v, %v; want 0600", info.Mode(), err)
	}
	for _, name := range []string{"user000001", "user000150", "user000300"} {
		if s := e.status(t, name); s != "FORCE_CHANGE_PASSWORD" {
			t.Errorf("%s is %s, want FORCE_CHANGE_PASSWORD", name, s)
		}
		out, err := e.signIn(name, secrets[name])
		if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Errorf("%s signs in with its generated password: %v, %v; want NEW_PASSWORD_REQUIRED", name, out, err)
		}
		if err := policy.Default().Check(secrets[name]); err != nil {
			t.Errorf("%s: generated password breaks the policy: %v", name, err)
		}
	}
	// No password anywhere but the secrets file.
	reportBytes, _ := os.ReadFile(manifest + ".report.csv")
	for _, pw := range secrets {
		if strings.Contains(stderr, pw) || bytes.Contains(reportBytes, []byte(pw)) {
			t.Fatal("a generated password leaked into stderr or the report")
		}
	}
	if !strings.Contains(stderr, "300 succeeded") || !strings.Contains(stderr, "3 UserNotFoundException") {
		t.Errorf("summary missing counts:\n%s", stderr)
	}
}

func TestResetJobAgainstEmulator(t *testing.T) {
	e := newJobEmulator(t, 50, emulator.Options{})
	manifest := writeManifest(t, 50)
	code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
		"--rate", "2000", "--yes", "--client-metadata", "reason=test")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, r := range readReport(t, manifest+".report.csv") {
		if r.Outcome != report.Succeeded || r.UserStatus != "RESET_REQUIRED" || r.Action != "reset" {
			t.Errorf("row %+v", r)
		}
	}
	if s := e.status(t, "user000050"); s != "RESET_REQUIRED" {
		t.Errorf("user000050 is %s", s)
	}
	if _, err := os.Stat(manifest + ".secrets.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a reset wrote a secrets file: %v", err)
	}
}

func TestChangeJobAgainstEmulator(t *testing.T) {
	e := newJobEmulator(t, 20, emulator.Options{})
	var b strings.Builder
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("user%06d", i)
		out, err := e.signIn(name, "Seeded-Passw0rd!")
		if err != nil || out.AuthenticationResult == nil {
			t.Fatalf("sign in %s: %v", name, err)
		}
		proposed := ""
		if i == 1 {
			proposed = "Chosen-By-User-1"
		}
		fmt.Fprintf(&b, `{"username":%q,"access_token":%q,"previous_password":"Seeded-Passw0rd!","proposed_password":%q}`+"\n",
			name, aws.ToString(out.AuthenticationResult.AccessToken), proposed)
	}
	fmt.Fprintf(&b, `{"username":"bad-token","access_token":"not.a.token","previous_password":"Seeded-Passw0rd!"}`+"\n")
	manifest := filepath.Join(t.TempDir(), "tokens.jsonl")
	os.WriteFile(manifest, []byte(b.String()), 0o600)
	// No credentials at all: ChangePassword is unsigned.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	code, stderr := runCLI(t, "change", "--manifest", manifest, "--endpoint-url", e.url, "--rate", "2000", "--yes", "--report", manifest+".report.jsonl")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1 (one bad token); stderr:\n%s", code, stderr)
	}
	rows := readReport(t, manifest+".report.jsonl")
	failed := 0
	for _, r := range rows {
		if r.Outcome == report.Failed {
			failed++
			if r.Username != "bad-token" || r.ErrorCode != "NotAuthorizedException" {
				t.Errorf("failed row %+v", r)
			}
		}
	}
	if len(rows) != 21 || failed != 1 {
		t.Errorf("%d rows, %d failed; want 21, 1", len(rows), failed)
	}
	secrets := readSecrets(t, manifest+".secrets.csv")
	if _, ok := secrets["user000001"]; ok || len(secrets) != 19 {
		t.Errorf("secrets hold %d passwords (user000001 chose its own): %v", len(secrets), secrets["user000001"] != "")
	}
	if out, err := e.signIn("user000002", secrets["user000002"]); err != nil || out.AuthenticationResult == nil {
		t.Errorf("user000002 cannot sign in with its new password: %v", err)
	}
	if _, err := e.signIn("user000001", "Chosen-By-User-1"); err != nil {
		t.Errorf("user000001 cannot sign in with its chosen password: %v", err)
	}
}

func TestDryRunLeavesThePoolUntouched(t *testing.T) {
	e := newJobEmulator(t, 30, emulator.Options{})
	manifest := writeManifest(t, 30, "ghost,,")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--dry-run", "--rate", "2000")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1 (ghost would fail); stderr:\n%s", code, stderr)
	}
	if n := e.writes("AdminSetUserPassword"); n != 0 {
		t.Errorf("a dry run made %d AdminSetUserPassword calls", n)
	}
	if s := e.status(t, "user000001"); s != "CONFIRMED" {
		t.Errorf("user000001 is %s after a dry run", s)
	}
	rows := readReport(t, manifest+".dryrun.report.csv")
	planned := 0
	for _, r := range rows {
		if r.Outcome == report.Planned {
			planned++
			if r.UserStatus != "CONFIRMED" || !strings.Contains(r.Message, "would set a generated password as temporary") {
				t.Errorf("planned row %+v", r)
			}
		}
	}
	if planned != 30 || len(rows) != 31 {
		t.Errorf("%d rows, %d planned", len(rows), planned)
	}
	if _, err := os.Stat(manifest + ".secrets.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote a secrets file: %v", err)
	}
}

func TestThrottledRunStillSucceeds(t *testing.T) {
	// The pool's account allows 10 calls/s (a burst of 10); cogpass is told
	// 400. 60 rows need at least 5 s at 10/s, so the quota is hit even on a
	// loaded machine (at 20/s one such machine let every call through).
	rates := quota.Rates{quota.UserAccountRecovery: 10}
	e := newJobEmulator(t, 60, emulator.Options{Quota: rates, PerUserWriteRPS: -1})
	manifest := writeManifest(t, 60)
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
		"--rate", "400", "--yes", "--backoff-base", "20ms", "--max-attempts", "20")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	retried := 0
	for _, r := range readReport(t, manifest+".report.csv") {
		if r.Outcome != report.Succeeded {
			t.Errorf("row %+v", r)
		}
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 || e.srv.Stats()["AdminSetUserPassword"].Throttled == 0 {
		t.Errorf("no row needed a second attempt (%d throttled): the quota was not hit", e.srv.Stats()["AdminSetUserPassword"].Throttled)
	}
}

func TestPreflightFailureWritesNothing(t *testing.T) {
	e := newJobEmulator(t, 20, emulator.Options{})
	manifest := writeManifest(t, 20, ",,", "user000003,,", "user000021,\" has space\",", "user000022,short,") // leading white space: InvalidManifestRow
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"4 of 24 rows are invalid", "line 22: InvalidManifestRow: username is empty", "line 23: DuplicateUser: the same user is on line 4",
		"line 24: InvalidManifestRow", "line 25: InvalidPasswordException", "--skip-invalid"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "has space") || strings.Contains(stderr, "short,") {
		t.Error("the preflight message shows a password")
	}
	if n := e.writes("AdminSetUserPassword"); n != 0 {
		t.Errorf("preflight failure still made %d writes", n)
	}
	// --skip-invalid sends the valid rows and reports the rest.
	code, stderr = runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--skip-invalid", "--rate", "2000")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	codes := map[string]int{}
	for _, r := range readReport(t, manifest+".report.csv") {
		codes[r.ErrorCode]++
	}
	if codes[""] != 20 || codes["InvalidManifestRow"] != 2 || codes["DuplicateUser"] != 1 || codes["InvalidPasswordException"] != 1 {
		t.Errorf("codes = %v", codes)
	}
	if n := e.writes("AdminSetUserPassword"); n != 20 {
		t.Errorf("%d writes, want 20", n)
	}
}

func TestMaxFailuresStops(t *testing.T) {
	e := newJobEmulator(t, 0, emulator.Options{})
	manifest := writeManifest(t, 200) // none of them exist
	code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
		"--yes", "--max-failures", "5%", "--concurrency", "1", "--rate", "2000")
	if code != exitStoppedEarly {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "--max-failures") || !strings.Contains(stderr, "--resume") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if n := len(readReport(t, manifest+".report.csv")); n != 10 {
		t.Errorf("%d rows written, want 10 (5%% of 200)", n)
	}
}

func TestResumeRefusesAnotherJob(t *testing.T) {
	e := newJobEmulator(t, 10, emulator.Options{})
	manifest := writeManifest(t, 10)
	if code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "2000"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Resuming the finished job sends nothing.
	before := e.writes("AdminSetUserPassword")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--resume")
	if code != 0 || e.writes("AdminSetUserPassword") != before {
		t.Fatalf("resume of a finished job: exit %d, %d new writes; stderr:\n%s", code, e.writes("AdminSetUserPassword")-before, stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"other pool", []string{"--user-pool-id", "us-east-1_Other"}, "user pool differs"},
		{"permanent", []string{"--user-pool-id", testPool, "--permanent"}, "differs"},
	}
	for _, tt := range tests {
		args := append([]string{"set", "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--resume"}, tt.args...)
		code, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr:\n%s", tt.name, code, stderr)
		}
	}
	// A changed manifest is refused too.
	os.WriteFile(manifest, []byte("username\nuser000001\nuser000002\n"), 0o644)
	code, stderr = runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--resume")
	if code != exitUsage || !strings.Contains(stderr, "manifest") {
		t.Errorf("changed manifest: exit %d, stderr:\n%s", code, stderr)
	}
	// Without --resume, an existing report is never overwritten.
	code, stderr = runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
	if code != exitUsage || !strings.Contains(stderr, "exists") {
		t.Errorf("existing report: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"set"}, "--manifest is required"},
		{[]string{"set", "--manifest", "x.csv", "--offline"}, "--offline goes with --dry-run"},
		{[]string{"set", "--manifest", "x.txt"}, "manifest"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"set", "--manifest", "x.csv", "--rate", "0"}, "--rate"},
		{[]string{"set", "--manifest", "x.csv", "--retry-failed"}, "--retry-failed goes with --resume"},
		{[]string{"set", "--manifest", "/nonexistent/x.csv", "--region", "us-east-1"}, "no such file"},
	}
	for _, tt := range tests {
		code, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestMissingCredentialsIsOneLineWithAHint(t *testing.T) {
	e := newJobEmulator(t, 5, emulator.Options{})
	manifest := writeManifest(t, 5)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never ask an instance metadata service
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	// Against the emulator, the hint says any key works.
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	golden(t, "errors/no-credentials-emulator.golden", []byte(stderr))
	// Against Cognito, the hint names the usual sources. The check needs
	// no call, so the region's real endpoint is never reached.
	code, stderr = runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--region", "us-east-1", "--yes")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	golden(t, "errors/no-credentials.golden", []byte(stderr))
	for _, args := range [][]string{
		{"export", "--user-pool-id", testPool, "--endpoint-url", e.url},
		{"policy", "--user-pool-id", testPool, "--endpoint-url", e.url},
		{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--dry-run"},
	} {
		code, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.HasPrefix(stderr, "cogpass: no AWS credentials") || strings.Count(stderr, "\n") != 2 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if n := e.writes("AdminSetUserPassword") + e.writes("DescribeUserPool") + e.writes("AdminGetUser"); n != 0 {
		t.Errorf("%d calls without credentials", n)
	}
	if _, err := os.Stat(manifest + ".report.csv"); err == nil {
		t.Error("a report was left behind")
	}
}

// TestNoInstanceMetadataForLoopback: with the endpoint on loopback (the
// emulator) and no credentials, the SDK does not ask an EC2 instance
// metadata service: a listener standing in for it gets no connection.
func TestNoInstanceMetadataForLoopback(t *testing.T) {
	e := newJobEmulator(t, 2, emulator.Options{})
	manifest := writeManifest(t, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+ln.Addr().String())
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, args := range [][]string{
		{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes"},
		{"export", "--user-pool-id", testPool, "--endpoint-url", e.url},
	} {
		if code, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// The endpoint from the environment counts as well.
	t.Setenv("AWS_ENDPOINT_URL", e.url)
	if code, stderr := runCLI(t, "policy", "--user-pool-id", testPool); code != exitUsage {
		t.Errorf("policy: exit %d: %s", code, stderr)
	}
	ln.Close()
	if n := conns.Load(); n != 0 {
		t.Errorf("the instance metadata service got %d connections", n)
	}
}
