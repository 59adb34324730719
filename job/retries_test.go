package job

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/report"
)

// TestMaxAttemptsOneRetriesNothing: with --max-attempts 1 a fault fails the
// row at its first answer, and neither the summary ("retried after a
// fault") nor the row's message ("gave up after 1 attempts") says otherwise.
func TestMaxAttemptsOneRetriesNothing(t *testing.T) {
	for _, code := range []string{"InternalErrorException", "UnexpectedLambdaException", "TooManyRequestsException"} {
		t.Run(code, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error { return apiErr(code, "m") }}
				cfg := baseConfig(Reset)
				cfg.Backoff.MaxAttempts = 1
				rep := &memReport{}
				sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(3)), rep, &memSecrets{})
				if err != nil {
					t.Fatal(err)
				}
				if n := api.writes.Load(); n != 3 {
					t.Errorf("%d calls, want 3 (one per row)", n)
				}
				if sum.Retried != 0 {
					t.Errorf("summary: %d retried calls, want 0", sum.Retried)
				}
				var b bytes.Buffer
				sum.Print(&b)
				if !strings.Contains(b.String(), "0 retried after a fault") {
					t.Errorf("summary text does not say 0 retried:\n%s", b.String())
				}
				for _, r := range rep.byLine() {
					if r.Outcome != report.Failed || r.Attempts != 1 || r.ErrorCode != code || strings.Contains(r.Message, "gave up") {
						t.Errorf("line %d: %s attempts %d code %q message %q", r.Line, r.Outcome, r.Attempts, r.ErrorCode, r.Message)
					}
				}
			})
		})
	}
}

// TestRetriedCountsResentCalls: a fault that is retried is counted once per
// resend, and the last failure of a row that gave up is not.
func TestRetriedCountsResentCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error { return apiErr("InternalErrorException", "m") }}
		cfg := baseConfig(Reset) // 5 attempts
		sum, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(2)), &memReport{}, &memSecrets{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Calls != 10 || sum.Retried != 8 {
			t.Errorf("calls %d retried %d, want 10 and 8 (4 resends per row)", sum.Calls, sum.Retried)
		}
	})
}

// TestPoolLevelRetriedOnce: a failing Lambda trigger gets the row one more
// attempt, not the whole budget, and the row fails with the pool-level code
// (not final: --resume sends it again).
func TestPoolLevelRetriedOnce(t *testing.T) {
	for _, code := range []string{"UnexpectedLambdaException", "InvalidLambdaResponseException", "UserLambdaValidationException"} {
		t.Run(code, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				calls := map[string]int{}
				api := &fakeAPI{t: t, reset: func(in *cip.AdminResetUserPasswordInput) error {
					mu.Lock()
					defer mu.Unlock()
					calls[*in.Username]++
					// user001's trigger recovers on the second attempt.
					if *in.Username == "user001" && calls[*in.Username] == 2 {
						return nil
					}
					return apiErr(code, "PreSignUp failed with error boom.")
				}}
				rep := &memReport{}
				_, err := Run(t.Context(), baseConfig(Reset), api, rowsOf(t, manifest(3)), rep, &memSecrets{})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rep.byLine() {
					want, wantCode := report.Failed, code
					if r.Username == "user001" {
						want, wantCode = report.Succeeded, ""
					}
					if r.Outcome != want || r.Attempts != 2 || r.ErrorCode != wantCode {
						t.Errorf("%s: %s attempts %d code %q, want %s 2 %q", r.Username, r.Outcome, r.Attempts, r.ErrorCode, want, wantCode)
					}
				}
			})
		})
	}
}
