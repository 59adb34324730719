package job

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/report"
)

// The LimitExceededException streak counts write calls only: the
// successful AdminGetUser look-up before each write must not reset it, and
// the stop names the row that tripped it.
func TestLimitExceededStreakCountsWritesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t,
			get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
				return &cip.AdminGetUserOutput{Username: in.Username, UserStatus: types.UserStatusTypeConfirmed, Enabled: true}, nil
			},
			reset: func(*cip.AdminResetUserPasswordInput) error {
				return apiErr("LimitExceededException", "Exceeded daily email limit for the operation or the account.")
			},
		}
		cfg := baseConfig(Reset)
		cfg.Concurrency, cfg.CheckFederated = 1, true
		rep := &memReport{}
		_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(70)), rep, &memSecrets{})
		var fatal *Fatal
		if !errors.As(err, &fatal) || fatal.Code != "LimitExceededException" {
			t.Fatalf("err = %v, want a LimitExceededException stop", err)
		}
		if n := api.writes.Load(); n != limitExceededStop {
			t.Errorf("%d resets sent, want %d: the look-ups reset the streak", n, limitExceededStop)
		}
		// Lines start at 2 (the header is line 1): the fifth row is line 6.
		if fatal.Line != limitExceededStop+1 {
			t.Errorf("stop names line %d, want %d, the row that tripped it", fatal.Line, limitExceededStop+1)
		}
	})
}

// Rows failing one after another with the same pool-level Lambda code stop
// the job (resumable: the rows are not final), with few calls each.
func TestBrokenLambdaTriggerStopsTheJob(t *testing.T) {
	for _, code := range []string{"UnexpectedLambdaException", "InvalidLambdaResponseException", "UserLambdaValidationException"} {
		t.Run(code, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error {
					return apiErr(code, "the trigger failed")
				}}
				cfg := baseConfig(Reset)
				cfg.Concurrency = 1
				cfg.Backoff.MaxAttempts = 10
				rep := &memReport{}
				_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(200)), rep, &memSecrets{})
				var fatal *Fatal
				if !errors.As(err, &fatal) || fatal.Code != code || !strings.Contains(err.Error(), "Lambda trigger") {
					t.Fatalf("err = %v, want a %s stop naming the trigger", err, code)
				}
				rows := rep.byLine()
				if len(rows) != poolLevelStop {
					t.Errorf("%d rows written, want %d", len(rows), poolLevelStop)
				}
				for _, r := range rows {
					if cognito.FinalCode(r.ErrorCode) {
						t.Errorf("line %d: %s is final: --resume would skip it", r.Line, r.ErrorCode)
					}
				}
				if n := api.writes.Load(); n > int64(poolLevelStop*cognito.PoolLevelAttempts) {
					t.Errorf("%d calls for %d rows: a broken trigger is retried too often", n, poolLevelStop)
				}
			})
		})
	}
}

// A trigger that refuses some users, among rows that succeed, is those
// rows' problem: the job goes on.
func TestLambdaRefusalsBetweenSuccessesDoNotStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error {
			if n.Add(1)%2 == 0 {
				return nil
			}
			return apiErr("UserLambdaValidationException", "PreSignUp failed with error not allowed.")
		}}
		cfg := baseConfig(Reset)
		cfg.Concurrency = 1
		rep := &memReport{}
		if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(40)), rep, &memSecrets{}); err != nil {
			t.Fatalf("err = %v, want the job to go on", err)
		}
		if len(rep.byLine()) != 40 {
			t.Errorf("%d rows, want 40", len(rep.byLine()))
		}
	})
}

// In a manifest with a user_pool_id column, a pool that does not exist
// fails its own rows (not final) and the job goes on; the job's only pool
// not existing stops the job.
func TestMissingPoolOfSeveralFailsItsRows(t *testing.T) {
	const gone = "us-east-1_Gone"
	m := "username,user_pool_id\nuser001,\nuser002,us-east-1_Gone\nuser003,\nuser004,us-east-1_Gone\nuser005,\n"
	for _, cmd := range []Command{Reset, Set} {
		t.Run(string(cmd), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var goneCalls atomic.Int64
				notFound := func(pool *string) error {
					if *pool == gone {
						goneCalls.Add(1)
						return apiErr("ResourceNotFoundException", "User pool "+gone+" does not exist.")
					}
					return nil
				}
				api := &fakeAPI{t: t,
					reset: func(in *cip.AdminResetUserPasswordInput) error { return notFound(in.UserPoolId) },
					set:   func(in *cip.AdminSetUserPasswordInput) error { return notFound(in.UserPoolId) },
					describe: func(in *cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error) {
						if err := notFound(in.UserPoolId); err != nil {
							return nil, err
						}
						return (&fakeAPI{}).DescribeUserPool(t.Context(), in)
					},
				}
				cfg := baseConfig(cmd)
				cfg.Concurrency = 1
				if cmd == Set {
					plan, err := Preflight(t.Context(), cfg, api, rowsOf(t, m))
					if err != nil {
						t.Fatalf("preflight: %v; want the job to go on", err)
					}
					if plan.Invalid != 0 {
						t.Fatalf("preflight: %d invalid rows %v; want the job to go on", plan.Invalid, plan.Problems)
					}
					cfg.Plan = plan
				}
				rep := &memReport{}
				if _, err := Run(t.Context(), cfg, api, rowsOf(t, m), rep, &memSecrets{}); err != nil {
					t.Fatalf("err = %v, want the job to go on", err)
				}
				for _, r := range rep.byLine() {
					wantFail := r.Line == 3 || r.Line == 5
					if wantFail != (r.Outcome == report.Failed) || wantFail && (r.ErrorCode != "ResourceNotFoundException" || cognito.FinalCode(r.ErrorCode)) {
						t.Errorf("line %d: %s %s %s", r.Line, r.Outcome, r.ErrorCode, r.Message)
					}
				}
				if len(rep.byLine()) != 5 {
					t.Errorf("%d rows, want 5", len(rep.byLine()))
				}
				if n := goneCalls.Load(); n > 2 {
					t.Errorf("%d calls to the missing pool, want its answer remembered", n)
				}
			})
		})
	}
	t.Run("only pool", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error {
				return apiErr("ResourceNotFoundException", "User pool us-east-1_Test does not exist.")
			}}
			cfg := baseConfig(Reset)
			_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(20)), &memReport{}, &memSecrets{})
			var fatal *Fatal
			if !errors.As(err, &fatal) || fatal.Code != "ResourceNotFoundException" {
				t.Fatalf("err = %v, want a job-fatal ResourceNotFoundException", err)
			}
		})
	})
}
