package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/emulator"
	"cogpass/report"
)

func (e *jobEmulator) reset(t *testing.T, username string) {
	t.Helper()
	if _, err := e.client.AdminResetUserPassword(context.Background(), &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(testPool), Username: aws.String(username)}); err != nil {
		t.Fatalf("AdminResetUserPassword %s: %v", username, err)
	}
}

func TestResetSkipStatus(t *testing.T) {
	e := newJobEmulator(t, 6, emulator.Options{})
	for _, u := range []string{"user000002", "user000005"} {
		e.reset(t, u)
	}
	manifest := writeManifest(t, 6)

	// The dry run says who would be skipped, and how many users the reset
	// would find already reset.
	code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--dry-run", "--skip-status", "RESET_REQUIRED")
	if code != exitOK {
		t.Fatalf("dry run: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "2 users are already in the target state of the action") {
		t.Errorf("dry-run summary does not count the users already RESET_REQUIRED:\n%s", stderr)
	}
	for _, r := range readReport(t, manifest+".dryrun.report.csv") {
		want := report.Planned
		if r.Username == "user000002" || r.Username == "user000005" {
			want = report.Skipped
		}
		if r.Outcome != want {
			t.Errorf("dry run: %s is %s (%s), want %s", r.Username, r.Outcome, r.Message, want)
		}
	}

	before := e.writes("AdminResetUserPassword")
	code, stderr = runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--skip-status", "RESET_REQUIRED,UNCONFIRMED")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if n := e.writes("AdminResetUserPassword") - before; n != 4 {
		t.Errorf("%d resets sent, want 4 (two users were RESET_REQUIRED already)", n)
	}
	for _, r := range readReport(t, manifest+".report.csv") {
		already := r.Username == "user000002" || r.Username == "user000005"
		if already && (r.Outcome != report.Skipped || r.Message != "user is RESET_REQUIRED; --skip-status") {
			t.Errorf("%s: %s %q, want skipped with the reason", r.Username, r.Outcome, r.Message)
		}
		if !already && r.Outcome != report.Succeeded {
			t.Errorf("%s: %s %q, want succeeded", r.Username, r.Outcome, r.Message)
		}
	}
	side, err := report.ReadSidecar(manifest + ".report.csv")
	if err != nil || side.Params["skip_status"] != "RESET_REQUIRED,UNCONFIRMED" {
		t.Errorf("sidecar params %v, %v; want skip_status recorded", side.Params, err)
	}
	// A resume with other statuses to skip is another job.
	code, stderr = runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--resume", "--skip-status", "RESET_REQUIRED")
	if code != exitUsage || !strings.Contains(stderr, "skip_status differs") {
		t.Errorf("resume with another --skip-status: exit %d, stderr:\n%s\nwant exit 2 naming skip_status", code, stderr)
	}
}

func TestSkipStatusUsageErrors(t *testing.T) {
	e := newJobEmulator(t, 1, emulator.Options{})
	manifest := writeManifest(t, 1)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"reset", "--skip-status", "RESET_REQUIRD"}, "did you mean RESET_REQUIRED?"},
		{[]string{"set", "--skip-status", "confirmed"}, "did you mean CONFIRMED?"},
		{[]string{"set", "--skip-status", "CONFIRMED,force-change-password"}, "did you mean FORCE_CHANGE_PASSWORD?"},
		{[]string{"reset", "--skip-status", "NOPE"}, "want one of"},
		{[]string{"change", "--skip-status", "CONFIRMED"}, "--skip-status does not go with change"},
		{[]string{"set", "--limit", "-1"}, "--limit must be 0"},
	} {
		args := append(tt.args, "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
		code, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tt.args, code, stderr, tt.want)
		}
	}
	if n := e.writes("AdminSetUserPassword") + e.writes("AdminResetUserPassword") + e.writes("AdminGetUser"); n != 0 {
		t.Errorf("usage errors made %d calls", n)
	}
}

func TestLimitIsACanaryThatResumeContinues(t *testing.T) {
	e := newJobEmulator(t, 30, emulator.Options{})
	manifest := writeManifest(t, 30)
	args := []string{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "1000"}
	code, stderr := runCLI(t, append(args, "--limit", "10")...)
	if code != exitOK {
		t.Fatalf("canary: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "limit reached: 10 of 30 rows; --resume continues") {
		t.Errorf("summary does not say the limit was reached:\n%s", stderr)
	}
	if n := len(readReport(t, manifest+".report.csv")); n != 10 || e.writes("AdminSetUserPassword") != 10 {
		t.Errorf("canary: %d rows, %d writes; want 10 and 10", n, e.writes("AdminSetUserPassword"))
	}
	// The next canary takes the next ten, then the rest.
	code, stderr = runCLI(t, append(args, "--resume", "--limit", "10")...)
	if code != exitOK || !strings.Contains(stderr, "limit reached: 10 of 20 rows") {
		t.Fatalf("second canary: exit %d; stderr:\n%s", code, stderr)
	}
	code, stderr = runCLI(t, append(args, "--resume")...)
	if code != exitOK || strings.Contains(stderr, "limit reached") {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
	}
	rows := readReport(t, manifest+".report.csv")
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Username] = true
	}
	if len(rows) != 30 || len(seen) != 30 || e.writes("AdminSetUserPassword") != 30 {
		t.Errorf("after the resumes: %d rows for %d users, %d writes; want 30 each", len(rows), len(seen), e.writes("AdminSetUserPassword"))
	}
	for i := 1; i <= 30; i++ {
		if name := fmt.Sprintf("user%06d", i); e.status(t, name) != "FORCE_CHANGE_PASSWORD" {
			t.Errorf("%s was not set", name)
		}
	}
}

// signInTokens signs a user in and returns its access and refresh tokens.
func (e *jobEmulator) signInTokens(t *testing.T, username string) (access, refresh string) {
	t.Helper()
	out, err := e.signIn(username, "Seeded-Passw0rd!")
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign in %s: %v, %+v", username, err, out)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), aws.ToString(out.AuthenticationResult.RefreshToken)
}

// refreshClient makes the emulator's app client one that allows refresh
// (ALLOW_REFRESH_TOKEN_AUTH) as well as password sign-in.
func (e *jobEmulator) refreshClient(t *testing.T) {
	t.Helper()
	out, err := e.client.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(testPool), ClientName: aws.String("refresh"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = aws.ToString(out.UserPoolClient.ClientId)
}

// refreshWorks says whether a refresh token still gets new tokens.
func (e *jobEmulator) refreshWorks(refresh string) bool {
	_, err := e.client.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(e.clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": refresh}})
	return err == nil
}

func (e *jobEmulator) accessWorks(access string) bool {
	_, err := e.client.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(access)})
	return err == nil
}

// signOutFaults is a proxy to the emulator that answers
// TooManyRequestsException to AdminUserGlobalSignOut for the users in fail.
func signOutFaults(t *testing.T, target string, fail *sync.Map) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".AdminUserGlobalSignOut") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var in struct{ Username string }
			json.Unmarshal(body, &in)
			if _, ok := fail.Load(in.Username); ok {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"__type":"TooManyRequestsException","message":"Rate exceeded"}`)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestResetSignOutRevokesTokensAndResumeSendsOnlyTheSignOut(t *testing.T) {
	e := newJobEmulator(t, 4, emulator.Options{})
	e.refreshClient(t)
	access := map[string]string{}
	refresh := map[string]string{}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("user%06d", i)
		access[name], refresh[name] = e.signInTokens(t, name)
	}
	manifest := writeManifest(t, 3) // user000004 is not in the job
	var fail sync.Map
	fail.Store("user000002", true)
	endpoint := signOutFaults(t, e.url, &fail)

	// The dry run says who would be signed out, and signs nobody out.
	code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", endpoint, "--dry-run", "--sign-out")
	if code != exitOK {
		t.Fatalf("dry run: exit %d; stderr:\n%s", code, stderr)
	}
	for _, r := range readReport(t, manifest+".dryrun.report.csv") {
		if !strings.Contains(r.Message, "would sign the user out") {
			t.Errorf("dry run: %s: %q does not say the user would be signed out", r.Username, r.Message)
		}
	}
	if e.writes("AdminUserGlobalSignOut") != 0 {
		t.Fatalf("the dry run signed users out")
	}

	args := []string{"reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", endpoint, "--yes", "--sign-out", "--max-attempts", "1"}
	code, stderr = runCLI(t, args...)
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1 (one sign-out failed); stderr:\n%s", code, stderr)
	}
	rows := map[string]report.Row{}
	for _, r := range readReport(t, manifest+".report.csv") {
		rows[r.Username] = r
	}
	if r := rows["user000001"]; r.Outcome != report.Succeeded || r.SignedOut != "true" || !strings.Contains(r.Message, "Signed out") {
		t.Errorf("user000001: %+v, want succeeded and signed out", r)
	}
	if r := rows["user000002"]; r.Outcome != report.Failed || r.ErrorCode != "TooManyRequestsException" || r.SignedOut != "false" || !strings.Contains(r.Message, "The password was reset. Sign-out failed") {
		t.Errorf("user000002: %+v, want failed with the sign-out's code, signed_out false", r)
	}
	if e.refreshWorks(refresh["user000001"]) || e.refreshWorks(refresh["user000003"]) || e.accessWorks(access["user000001"]) {
		t.Errorf("tokens of signed-out users still work")
	}
	if !e.refreshWorks(refresh["user000002"]) || !e.refreshWorks(refresh["user000004"]) {
		t.Fatalf("tokens of users not signed out stopped working")
	}

	fail.Delete("user000002")
	resets := e.writes("AdminResetUserPassword")
	code, stderr = runCLI(t, append(args, "--resume")...)
	if code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
	}
	if n := e.writes("AdminResetUserPassword") - resets; n != 0 {
		t.Errorf("the resume sent %d resets, want none: the reset of user000002 was done", n)
	}
	if e.refreshWorks(refresh["user000002"]) || e.accessWorks(access["user000002"]) {
		t.Errorf("user000002's tokens still work after the resume")
	}
	if !e.refreshWorks(refresh["user000004"]) {
		t.Errorf("user000004, not in the job, was signed out")
	}
	all := readReport(t, manifest+".report.csv")
	if last := all[len(all)-1]; last.Username != "user000002" || last.Outcome != report.Succeeded || last.SignedOut != "true" {
		t.Errorf("resumed row %+v, want user000002 succeeded and signed out", last)
	}
	if side, _ := report.ReadSidecar(manifest + ".report.csv"); side.Params["sign_out"] != "true" {
		t.Errorf("sidecar params %v: want sign_out recorded", side.Params)
	}
}

func TestLimitSetsTheProgressTotal(t *testing.T) {
	e := newJobEmulator(t, 30, emulator.Options{})
	manifest := writeManifest(t, 30)
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--limit", "10", "--progress-interval", "1ms")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "total=30") || !strings.Contains(stderr, "total=10") {
		t.Errorf("progress does not count to the limit:\n%s", stderr)
	}
}
