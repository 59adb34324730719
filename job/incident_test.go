package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/report"
)

// statusAPI answers AdminGetUser from a status per user (CONFIRMED when not
// named) and counts the resets.
func statusAPI(t *testing.T, statuses map[string]types.UserStatusType) *fakeAPI {
	verified := []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}
	return &fakeAPI{t: t,
		get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
			s, ok := statuses[*in.Username]
			if !ok {
				s = types.UserStatusTypeConfirmed
			}
			return &cip.AdminGetUserOutput{Username: in.Username, UserStatus: s, Enabled: true, UserAttributes: verified}, nil
		},
		reset: func(*cip.AdminResetUserPasswordInput) error { return nil },
		set:   func(*cip.AdminSetUserPasswordInput) error { return nil },
	}
}

func TestSkipStatusSkipsUsersAfterTheLookUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := statusAPI(t, map[string]types.UserStatusType{"user002": types.UserStatusTypeResetRequired, "user004": types.UserStatusTypeResetRequired})
		cfg := baseConfig(Reset)
		cfg.IncludeFederated = true // the look-up is made for --skip-status alone
		cfg.SkipStatus = []string{cognito.StatusResetRequired}
		rep := &memReport{}
		sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(5)), rep, &memSecrets{})
		if err != nil {
			t.Fatal(err)
		}
		if api.writes.Load() != 3 {
			t.Errorf("%d resets sent, want 3", api.writes.Load())
		}
		for _, r := range rep.byLine() {
			skipped := r.Username == "user002" || r.Username == "user004"
			switch {
			case skipped && (r.Outcome != report.Skipped || r.Message != "user is RESET_REQUIRED; --skip-status" || r.UserStatus != cognito.StatusResetRequired):
				t.Errorf("%s: %s %q %s, want a skipped row with the reason", r.Username, r.Outcome, r.Message, r.UserStatus)
			case !skipped && r.Outcome != report.Succeeded:
				t.Errorf("%s: %s, want succeeded", r.Username, r.Outcome)
			}
		}
		if sum.Outcomes[report.Skipped] != 2 || len(sum.ErrorCodes) != 0 {
			t.Errorf("summary %v %v, want 2 skipped and no error code", sum.Outcomes, sum.ErrorCodes)
		}
	})
}

func TestDryRunCountsUsersInTargetState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct {
			cmd       Command
			permanent bool
			target    types.UserStatusType
		}{
			{Reset, false, types.UserStatusTypeResetRequired},
			{Set, false, types.UserStatusTypeForceChangePassword},
			{Set, true, types.UserStatusTypeConfirmed},
		} {
			statuses := map[string]types.UserStatusType{}
			for _, u := range []string{"user001", "user002", "user003", "user004", "user005", "user006"} {
				statuses[u] = types.UserStatusTypeUnconfirmed
			}
			statuses["user001"], statuses["user003"] = tt.target, tt.target
			api := statusAPI(t, statuses)
			cfg := baseConfig(tt.cmd)
			cfg.DryRun, cfg.Permanent = true, tt.permanent
			cfg.SkipStatus = []string{string(tt.target)}
			rep := &memReport{}
			sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(6)), rep, &memSecrets{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.InTargetState != 2 {
				t.Errorf("%s permanent=%v: %d users in the target state, want 2", tt.cmd, tt.permanent, sum.InTargetState)
			}
			rows := rep.byLine()
			if rows[0].Outcome != report.Skipped || !strings.HasPrefix(rows[0].Message, "would skip: user is "+string(tt.target)) {
				t.Errorf("%s: dry-run row %+v, want it to say it would skip", tt.cmd, rows[0])
			}
			var b strings.Builder
			sum.Print(&b)
			if !strings.Contains(b.String(), "2 users are already in the target state") {
				t.Errorf("dry-run summary does not give the count:\n%s", b.String())
			}
		}
	})
}

func TestLimitStopsAsAFinishedJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error { return nil }}
		cfg := baseConfig(Set)
		cfg.Limit = 10
		// Lines 2-4 were done by an earlier run, line 6 is invalid: neither
		// counts towards the limit.
		cfg.Skip = func(line int) bool { return line >= 2 && line <= 4 }
		rep := &memReport{}
		sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(4, "bad user,,", manifestRows(5, 40))), rep, &memSecrets{})
		if err != nil {
			t.Fatal(err)
		}
		if api.writes.Load() != 10 {
			t.Errorf("%d writes, want 10", api.writes.Load())
		}
		rows := rep.byLine()
		if len(rows) != 11 || rows[0].Line != 5 || rows[1].ErrorCode != CodeInvalidManifestRow || rows[10].Line != 15 {
			t.Errorf("rows %+v: want line 5, the invalid line 6, and lines 7-15", rows)
		}
		if sum.LimitReached != 10 || sum.Resumed != 3 {
			t.Errorf("summary: limit reached %d, resumed %d; want 10, 3", sum.LimitReached, sum.Resumed)
		}
		sum.LimitOf = 44
		var b strings.Builder
		sum.Print(&b)
		if !strings.Contains(b.String(), "limit reached: 10 of 44 rows; --resume continues") {
			t.Errorf("summary does not say the limit was reached:\n%s", b.String())
		}

		// A limit the manifest does not reach is not reported as reached.
		cfg.Skip = nil
		cfg.Limit = 5
		sum, err = Run(t.Context(), cfg, api, rowsOf(t, manifest(5)), &memReport{}, &memSecrets{})
		if err != nil || sum.LimitReached != 0 || sum.Rows != 5 {
			t.Errorf("limit 5 over 5 rows: %v, limit reached %d, %d rows", err, sum.LimitReached, sum.Rows)
		}
	})
}

// manifestRows is the CSV lines user<from>..user<to> with no header.
func manifestRows(from, to int) string {
	var lines []string
	for i := from; i <= to; i++ {
		lines = append(lines, fmt.Sprintf("user%03d,,", i))
	}
	return strings.Join(lines, "\n")
}

// signOutAPI is fakeAPI with AdminUserGlobalSignOut.
type signOutFake struct {
	*fakeAPI
	signOut  func(*cip.AdminUserGlobalSignOutInput) error
	signOuts atomic.Int64
}

func (f *signOutFake) AdminUserGlobalSignOut(_ context.Context, in *cip.AdminUserGlobalSignOutInput, _ ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error) {
	f.signOuts.Add(1)
	return &cip.AdminUserGlobalSignOutOutput{}, f.signOut(in)
}

func TestSignOutAfterEachWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &signOutFake{fakeAPI: statusAPI(t, nil), signOut: func(in *cip.AdminUserGlobalSignOutInput) error {
			switch *in.Username {
			case "user002":
				return apiErr("UserNotFoundException", "User does not exist.")
			case "user003":
				return apiErr("TooManyRequestsException", "Rate exceeded")
			}
			return nil
		}}
		cfg := baseConfig(Reset)
		cfg.SignOut = true
		// Line 5 (user004) was reset by an earlier run whose sign-out failed.
		cfg.WriteDone = func(line int) bool { return line == 5 }
		rep := &memReport{}
		if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(5)), rep, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		if api.writes.Load() != 4 {
			t.Errorf("%d resets, want 4 (line 5's reset was done)", api.writes.Load())
		}
		rows := rep.byLine()
		want := []struct {
			outcome   report.Outcome
			code      string
			signedOut string
			says      string
		}{
			{report.Succeeded, "", "true", "Signed out"},
			{report.Failed, "UserNotFoundException", "false", "The password was reset. Sign-out failed: User does not exist."},
			{report.Failed, "TooManyRequestsException", "false", "gave up after 5 attempts"},
			{report.Succeeded, "", "true", "An earlier run made the write"},
			{report.Succeeded, "", "true", "Signed out"},
		}
		for i, w := range want {
			r := rows[i]
			if r.Outcome != w.outcome || r.ErrorCode != w.code || r.SignedOut != w.signedOut || !strings.Contains(r.Message, w.says) || (r.UserStatus != cognito.StatusResetRequired && r.Line != 5) {
				t.Errorf("line %d: %s %s signed_out=%q %q %s; want %s %s %q containing %q", r.Line, r.Outcome, r.ErrorCode, r.SignedOut, r.Message, r.UserStatus, w.outcome, w.code, w.signedOut, w.says)
			}
		}
	})
}

func TestSignOutFatalErrorKeepsTheWriteRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &signOutFake{fakeAPI: statusAPI(t, nil), signOut: func(*cip.AdminUserGlobalSignOutInput) error {
			return apiErr("AccessDeniedException", "not authorized to perform: cognito-idp:AdminUserGlobalSignOut")
		}}
		cfg := baseConfig(Set)
		cfg.SignOut, cfg.Concurrency = true, 1
		rep := &memReport{}
		secrets := &memSecrets{}
		_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(20)), rep, secrets)
		var fatal *Fatal
		if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "AdminUserGlobalSignOut: AccessDeniedException") {
			t.Fatalf("err = %v, want a fatal error naming AdminUserGlobalSignOut", err)
		}
		rows := rep.byLine()
		if int64(len(rows)) != api.writes.Load() || len(rows) == 0 {
			t.Fatalf("%d rows for %d writes: a write without a row would be sent again by --resume", len(rows), api.writes.Load())
		}
		for _, r := range rows {
			if r.Outcome != report.Failed || r.ErrorCode != CodeSignOutNotSent || r.SignedOut != report.SignedOutNo || secrets.m[r.Username] == "" {
				t.Errorf("line %d: %s %s signed_out=%q, secret kept %v; want the write recorded and the sign-out pending", r.Line, r.Outcome, r.ErrorCode, r.SignedOut, secrets.m[r.Username] != "")
			}
		}
		if cognito.FinalCode(CodeSignOutNotSent) {
			t.Errorf("%s is final: --resume would not send the sign-out", CodeSignOutNotSent)
		}
	})
}

func TestDryRunSaysWhoWouldBeSignedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &signOutFake{fakeAPI: statusAPI(t, map[string]types.UserStatusType{"user002": types.UserStatusTypeForceChangePassword})}
		cfg := baseConfig(Reset)
		cfg.SignOut, cfg.DryRun = true, true
		rep := &memReport{}
		if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(2)), rep, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		rows := rep.byLine()
		if !strings.Contains(rows[0].Message, "would sign the user out (AdminUserGlobalSignOut)") {
			t.Errorf("planned row %q does not say the user would be signed out", rows[0].Message)
		}
		if strings.Contains(rows[1].Message, "sign the user out") {
			t.Errorf("a row that would fail says the user would be signed out: %q", rows[1].Message)
		}
		if api.signOuts.Load() != 0 || api.writes.Load() != 0 {
			t.Errorf("dry run made %d sign-outs and %d writes", api.signOuts.Load(), api.writes.Load())
		}
	})
}

func TestVerifyRetriesThrottledLookUps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		api := &fakeAPI{t: t, get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
			if calls.Add(1)%2 == 1 {
				return nil, apiErr("TooManyRequestsException", "Rate exceeded")
			}
			status := types.UserStatusTypeResetRequired
			if *in.Username == "b" {
				status = types.UserStatusTypeConfirmed
			}
			return &cip.AdminGetUserOutput{Username: in.Username, UserStatus: status}, nil
		}}
		cfg := baseConfig(Reset)
		cfg.Concurrency = 1
		rows := []VerifyRow{{Line: 2, Username: "a", Action: ActionReset}, {Line: 3, Username: "b", Action: ActionReset}, {Line: 4, Action: ActionChange}}
		got := map[int]VerifyResult{}
		if err := Verify(t.Context(), cfg, api, "us-east-1_Test", rows, func(v VerifyResult) error { got[v.Line] = v; return nil }); err != nil {
			t.Fatal(err)
		}
		if got[2].Verdict != VerdictMatch || got[3].Verdict != VerdictMismatch || got[3].UserStatus != cognito.StatusConfirmed || got[4].Verdict != VerdictUnchecked {
			t.Errorf("verdicts %+v", got)
		}
		if calls.Load() != 4 {
			t.Errorf("%d look-ups, want 4 (each throttled once, then retried)", calls.Load())
		}
	})
}

// TestSkipStatusStillSignsOut: a user skipped by status (already reset) is
// still signed out, since the sessions are what an incident must end; a
// failed sign-out leaves the row for a resumed run's sign-out.
func TestSkipStatusStillSignsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &signOutFake{fakeAPI: statusAPI(t, map[string]types.UserStatusType{"user001": types.UserStatusTypeResetRequired, "user002": types.UserStatusTypeResetRequired}),
			signOut: func(in *cip.AdminUserGlobalSignOutInput) error {
				if *in.Username == "user002" {
					return apiErr("InternalErrorException", "boom")
				}
				return nil
			}}
		cfg := baseConfig(Reset)
		cfg.SignOut, cfg.SkipStatus = true, []string{cognito.StatusResetRequired}
		rep := &memReport{}
		if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(3)), rep, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		rows := rep.byLine()
		if r := rows[0]; r.Outcome != report.Skipped || r.SignedOut != report.SignedOutYes || !strings.HasPrefix(r.Message, "user is RESET_REQUIRED; --skip-status. Signed out") {
			t.Errorf("skipped user: %+v, want skipped and signed out", r)
		}
		if r := rows[1]; r.Outcome != report.Failed || r.SignedOut != report.SignedOutNo || r.ErrorCode != "InternalErrorException" || strings.Contains(r.Message, "password was reset") {
			t.Errorf("skipped user whose sign-out failed: %+v", r)
		}
		if api.writes.Load() != 1 || api.signOuts.Load() < 3 {
			t.Errorf("%d resets, %d sign-outs; want 1 reset and every user signed out", api.writes.Load(), api.signOuts.Load())
		}
	})
}
