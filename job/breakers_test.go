package job

import (
	"errors"
	"testing"
	"testing/synctest"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
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
