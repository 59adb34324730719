package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/input"
	"cogpass/report"
)

// fakeAPI is a Cognito client made of functions; a nil function fails the
// test when called.
type fakeAPI struct {
	t        *testing.T
	set      func(*cip.AdminSetUserPasswordInput) error
	reset    func(*cip.AdminResetUserPasswordInput) error
	change   func(*cip.ChangePasswordInput) error
	get      func(*cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error)
	describe func(*cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error)
	writes   atomic.Int64
}

func (f *fakeAPI) AdminSetUserPassword(_ context.Context, in *cip.AdminSetUserPasswordInput, _ ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error) {
	f.writes.Add(1)
	if f.set == nil {
		f.t.Error("unexpected AdminSetUserPassword")
		return nil, errors.New("unexpected")
	}
	return &cip.AdminSetUserPasswordOutput{}, f.set(in)
}

func (f *fakeAPI) AdminResetUserPassword(_ context.Context, in *cip.AdminResetUserPasswordInput, _ ...func(*cip.Options)) (*cip.AdminResetUserPasswordOutput, error) {
	f.writes.Add(1)
	if f.reset == nil {
		f.t.Error("unexpected AdminResetUserPassword")
		return nil, errors.New("unexpected")
	}
	return &cip.AdminResetUserPasswordOutput{}, f.reset(in)
}

func (f *fakeAPI) ChangePassword(_ context.Context, in *cip.ChangePasswordInput, _ ...func(*cip.Options)) (*cip.ChangePasswordOutput, error) {
	f.writes.Add(1)
	if f.change == nil {
		f.t.Error("unexpected ChangePassword")
		return nil, errors.New("unexpected")
	}
	return &cip.ChangePasswordOutput{}, f.change(in)
}

func (f *fakeAPI) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput, _ ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	if f.get == nil {
		f.t.Error("unexpected AdminGetUser")
		return nil, errors.New("unexpected")
	}
	return f.get(in)
}

func (f *fakeAPI) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if f.describe == nil {
		return &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Id: in.UserPoolId, Policies: &types.UserPoolPolicyType{
			PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7},
		}}}, nil
	}
	return f.describe(in)
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

// memReport keeps report rows in memory.
type memReport struct {
	mu   sync.Mutex
	rows []report.Row
}

func (m *memReport) Write(r report.Row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, r)
	return nil
}

// byLine returns the rows sorted by manifest line.
func (m *memReport) byLine() []report.Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := slices.Clone(m.rows)
	slices.SortFunc(rows, func(a, b report.Row) int { return a.Line - b.Line })
	return rows
}

type memSecrets struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSecrets) Write(_ int, user, pw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]string)
	}
	s.m[user] = pw
	return nil
}

func rowsOf(t *testing.T, csv string) Rows {
	t.Helper()
	r, err := input.NewReader(strings.NewReader(csv), input.FormatCSV, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func manifest(n int, extra ...string) string {
	var b strings.Builder
	b.WriteString("username,password,permanent\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%03d,,\n", i)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	return b.String()
}

func baseConfig(cmd Command) Config {
	return Config{Command: cmd, UserPoolID: "us-east-1_Test", Rate: 1000, Concurrency: 8,
		Backoff: cognito.Backoff{Base: 10 * time.Millisecond, Cap: time.Second, MaxAttempts: 5}}
}

func TestSetGeneratesPasswordsAndReportsEveryRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		sent := map[string]string{}
		api := &fakeAPI{t: t, set: func(in *cip.AdminSetUserPasswordInput) error {
			if *in.Username == "ghost" {
				return apiErr("UserNotFoundException", "User does not exist.")
			}
			if in.Permanent != (*in.Username == "user002") {
				t.Errorf("%s: permanent = %v", *in.Username, in.Permanent)
			}
			mu.Lock()
			sent[*in.Username] = *in.Password
			mu.Unlock()
			return nil
		}}
		rep, sec := &memReport{}, &memSecrets{}
		m := "username,password,permanent\nuser001,,\nuser002,Given-Pass-1,true\nghost,,\n,,\nuser004,short,\n"
		sum, err := Run(t.Context(), baseConfig(Set), api, rowsOf(t, m), rep, sec)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			line         int
			outcome      report.Outcome
			code, status string
			action       string
		}{
			{2, report.Succeeded, "", cognito.StatusForceChangePassword, ActionSetTemporary},
			{3, report.Succeeded, "", cognito.StatusConfirmed, ActionSetPermanent},
			{4, report.Failed, "UserNotFoundException", "", ActionSetTemporary},
			{5, report.Failed, CodeInvalidManifestRow, "", ActionSetTemporary},
			{6, report.Failed, CodePasswordPolicy, "", ActionSetTemporary},
		}
		rows := rep.byLine()
		if len(rows) != len(want) {
			t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
		}
		for i, w := range want {
			r := rows[i]
			if r.Line != w.line || r.Outcome != w.outcome || r.ErrorCode != w.code || r.UserStatus != w.status || r.Action != w.action {
				t.Errorf("row %d = %+v, want %+v", i, r, w)
			}
			if r.FinishedAt.IsZero() {
				t.Errorf("row %d has no finished_at", i)
			}
		}
		// The generated password went to the secrets file and nowhere else.
		if sec.m["user001"] == "" || sec.m["user001"] != sent["user001"] {
			t.Errorf("secret for user001 = %q, sent %q", sec.m["user001"], sent["user001"])
		}
		if err := policy.Default().Check(sec.m["user001"]); err != nil {
			t.Errorf("generated password breaks the default policy: %v", err)
		}
		if _, ok := sec.m["user002"]; ok {
			t.Error("a supplied password was written to the secrets file")
		}
		for _, r := range rows {
			for _, pw := range []string{sent["user001"], "Given-Pass-1", "short"} {
				if strings.Contains(r.Message, pw) {
					t.Errorf("row %d message holds a password: %q", r.Line, r.Message)
				}
			}
		}
		if sum.Outcomes[report.Succeeded] != 2 || sum.Outcomes[report.Failed] != 3 || sum.Failed() != 3 {
			t.Errorf("summary outcomes = %v", sum.Outcomes)
		}
		if api.writes.Load() != 3 {
			t.Errorf("write calls = %d, want 3 (bad rows are never sent)", api.writes.Load())
		}
	})
}

func TestRetriesThrottlesAndFaults(t *testing.T) {
	tests := []struct {
		name         string
		errs         []error // answers before success, per user
		wantOutcome  report.Outcome
		wantAttempts int
		wantCode     string
	}{
		{"throttled twice", []error{apiErr("TooManyRequestsException", "Too many requests"), apiErr("TooManyRequestsException", "Too many requests")}, report.Succeeded, 3, ""},
		{"internal error", []error{apiErr("InternalErrorException", "oops")}, report.Succeeded, 2, ""},
		{"gives up", []error{apiErr("TooManyRequestsException", "x"), apiErr("TooManyRequestsException", "x"), apiErr("TooManyRequestsException", "x"), apiErr("TooManyRequestsException", "x"), apiErr("TooManyRequestsException", "x"), apiErr("TooManyRequestsException", "x")}, report.Failed, 5, "TooManyRequestsException"},
		{"permanent error not retried", []error{apiErr("InvalidPasswordException", "Password did not conform with policy: Password not long enough")}, report.Failed, 1, "InvalidPasswordException"},
		{"limit exceeded not retried", []error{apiErr("LimitExceededException", "Attempt limit exceeded")}, report.Failed, 1, "LimitExceededException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				calls := map[string]int{}
				api := &fakeAPI{t: t, reset: func(in *cip.AdminResetUserPasswordInput) error {
					mu.Lock()
					defer mu.Unlock()
					n := calls[*in.Username]
					calls[*in.Username]++
					if n < len(tt.errs) {
						return tt.errs[n]
					}
					return nil
				}}
				rep := &memReport{}
				_, err := Run(t.Context(), baseConfig(Reset), api, rowsOf(t, manifest(3)), rep, &memSecrets{})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rep.byLine() {
					if r.Outcome != tt.wantOutcome || r.Attempts != tt.wantAttempts || r.ErrorCode != tt.wantCode {
						t.Errorf("line %d: outcome %s attempts %d code %q, want %s %d %q", r.Line, r.Outcome, r.Attempts, r.ErrorCode, tt.wantOutcome, tt.wantAttempts, tt.wantCode)
					}
				}
			})
		})
	}
}

func TestFatalErrorsStopTheJob(t *testing.T) {
	tests := []struct {
		name     string
		api      func(t *testing.T) *fakeAPI
		wantCode string
		maxRows  int
	}{
		{"pool not found", func(t *testing.T) *fakeAPI {
			return &fakeAPI{t: t, describe: func(*cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error) {
				return nil, apiErr("ResourceNotFoundException", "User pool us-east-1_Test does not exist.")
			}}
		}, "ResourceNotFoundException", 0},
		{"credentials expired", func(t *testing.T) *fakeAPI {
			return &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error {
				return apiErr("ExpiredTokenException", "The security token included in the request is expired")
			}}
		}, "ExpiredTokenException", 0},
		{"repeated limit exceeded", func(t *testing.T) *fakeAPI {
			return &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error {
				return apiErr("LimitExceededException", "Exceeded daily email limit for the operation or the account.")
			}}
		}, "LimitExceededException", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rep := &memReport{}
				cfg := baseConfig(Set)
				cfg.Concurrency = 1
				_, err := Run(t.Context(), cfg, tt.api(t), rowsOf(t, manifest(200)), rep, &memSecrets{})
				var fatal *Fatal
				if !errors.As(err, &fatal) || fatal.Code != tt.wantCode {
					t.Fatalf("err = %v, want a *Fatal with code %s", err, tt.wantCode)
				}
				if n := len(rep.byLine()); n > tt.maxRows {
					t.Errorf("%d report rows, want at most %d: the job should stop at once", n, tt.maxRows)
				}
			})
		})
	}
}

func TestMaxFailuresStopsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error {
			return apiErr("UserNotFoundException", "User does not exist.")
		}}
		cfg := baseConfig(Set)
		cfg.Concurrency, cfg.MaxFailures = 1, 10
		rep := &memReport{}
		_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(100)), rep, &memSecrets{})
		var fatal *Fatal
		if !errors.As(err, &fatal) || fatal.Code != "MaxFailures" {
			t.Fatalf("err = %v, want a MaxFailures stop", err)
		}
		if n := len(rep.byLine()); n != 10 {
			t.Errorf("%d rows written, want 10", n)
		}
	})
}

func TestDryRunMakesNoWriteCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := map[string]*cip.AdminGetUserOutput{
			"user001": {UserStatus: types.UserStatusTypeConfirmed, Enabled: true, UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}},
			"user002": {UserStatus: types.UserStatusTypeForceChangePassword, Enabled: true, UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}},
			"user003": {UserStatus: types.UserStatusTypeConfirmed, Enabled: true},
			"user004": {UserStatus: types.UserStatusTypeExternalProvider, Enabled: true},
			"user005": {UserStatus: types.UserStatusTypeConfirmed, Enabled: false, UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}},
		}
		api := &fakeAPI{t: t, get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
			if u, ok := users[*in.Username]; ok {
				return u, nil
			}
			return nil, apiErr("UserNotFoundException", "User does not exist.")
		}}
		cfg := baseConfig(Reset)
		cfg.DryRun = true
		rep := &memReport{}
		_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(6)), rep, &memSecrets{})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			outcome report.Outcome
			code    string
			says    string
		}{
			{report.Planned, "", "would reset"},
			{report.Failed, "NotAuthorizedException", "FORCE_CHANGE_PASSWORD"},
			{report.Failed, "InvalidParameterException", "no verified email or phone"},
			{report.Skipped, CodeFederatedUser, "federated"},
			{report.Failed, "NotAuthorizedException", "disabled"},
			{report.Failed, "UserNotFoundException", "would fail"},
		}
		rows := rep.byLine()
		if len(rows) != len(want) {
			t.Fatalf("got %d rows, want %d", len(rows), len(want))
		}
		for i, w := range want {
			if rows[i].Outcome != w.outcome || rows[i].ErrorCode != w.code || !strings.Contains(rows[i].Message, w.says) {
				t.Errorf("line %d = %s %s %q, want %s %s containing %q", rows[i].Line, rows[i].Outcome, rows[i].ErrorCode, rows[i].Message, w.outcome, w.code, w.says)
			}
		}
		if api.writes.Load() != 0 {
			t.Errorf("a dry run made %d write calls", api.writes.Load())
		}
	})
}

func TestOfflineDryRunMakesNoCall(t *testing.T) {
	cfg := baseConfig(Set)
	cfg.DryRun, cfg.Offline = true, true
	rep := &memReport{}
	// A nil API panics on any call.
	_, err := Run(t.Context(), cfg, nil, rowsOf(t, manifest(50, "user051,has space,")), rep, &memSecrets{})
	if err != nil {
		t.Fatal(err)
	}
	rows := rep.byLine()
	if len(rows) != 51 {
		t.Fatalf("got %d rows, want 51", len(rows))
	}
	if rows[50].Outcome != report.Failed || rows[49].Outcome != report.Planned {
		t.Errorf("rows end with %+v, %+v", rows[49], rows[50])
	}
}

func TestInterruptLeavesUnfinishedRowsUnreported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var n atomic.Int64
		api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error {
			if n.Add(1) == 20 {
				cancel()
			}
			time.Sleep(50 * time.Millisecond)
			return nil
		}}
		cfg := baseConfig(Set)
		rep := &memReport{}
		_, err := Run(ctx, cfg, api, rowsOf(t, manifest(500)), rep, &memSecrets{})
		var fatal *Fatal
		if !errors.As(err, &fatal) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want a *Fatal wrapping context.Canceled", err)
		}
		rows := rep.byLine()
		// The calls in flight at the signal finish and are reported; no row
		// is reported twice and none after them is started.
		if len(rows) < 20 || int64(len(rows)) != n.Load() {
			t.Errorf("%d rows reported for %d calls made", len(rows), n.Load())
		}
		seen := map[int]bool{}
		for _, r := range rows {
			if seen[r.Line] {
				t.Errorf("line %d reported twice", r.Line)
			}
			seen[r.Line] = true
			if r.Outcome != report.Succeeded {
				t.Errorf("line %d: %s", r.Line, r.Outcome)
			}
		}
	})
}

func TestRatePacesWriteCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error { return nil }}
		cfg := baseConfig(Set)
		cfg.Rate = 20
		start := time.Now()
		if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(200)), &memReport{}, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		// 200 calls at 20/s take about ten seconds of (fake) time.
		if got := time.Since(start); got < 9*time.Second || got > 11*time.Second {
			t.Errorf("200 calls at 20/s took %v, want about 10s", got)
		}
	})
}

func TestDryRunForecast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		verified := []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}
		api := &fakeAPI{t: t, get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
			return &cip.AdminGetUserOutput{UserStatus: types.UserStatusTypeConfirmed, Enabled: true, UserAttributes: verified}, nil
		}}
		cfg := baseConfig(Reset)
		cfg.DryRun, cfg.Rate = true, 24
		sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(120)), &memReport{}, &memSecrets{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.EstimatedSeconds != 5 || sum.ResetEmails != 120 || len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "50 messages a day") {
			t.Errorf("forecast = %v s, %d e-mails, warnings %q", sum.EstimatedSeconds, sum.ResetEmails, sum.Warnings)
		}
	})
}

func TestEveryRowGetsAWorker(t *testing.T) {
	// A manifest shorter than the queue is read and closed at once; the
	// workers must be there to take it, however the goroutines are run.
	for i := range 300 {
		api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error { return nil }}
		rep := &memReport{}
		if _, err := Run(t.Context(), baseConfig(Set), api, rowsOf(t, manifest(3)), rep, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		if n := len(rep.byLine()); n != 3 {
			t.Fatalf("run %d: %d rows reported, want 3", i, n)
		}
	}
}
