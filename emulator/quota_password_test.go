package emulator_test

import (
	"testing"

	"cogpass/cognito/quota"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestSetSharesUserAccountRecovery: AdminSetUserPassword is metered in
// UserAccountRecovery with the resets (quota.Operations), so a spent bucket
// throttles both, and UserUpdate does not meter it.
func TestSetSharesUserAccountRecovery(t *testing.T) {
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserAccountRecovery: 0.001, quota.UserUpdate: 10_000}, PerUserWriteRPS: -1})
	e.add(t, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true, Password: goodPW})
	set := func() error {
		_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("u"), Password: aws.String(goodPW), Permanent: true})
		return err
	}
	// The bucket's burst is spent by the first calls; well under one call
	// a second refills it, so everything after is throttled.
	var throttled int
	for range 5 {
		if errCode(set()) == "TooManyRequestsException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("5 AdminSetUserPassword calls on a 0.001/s UserAccountRecovery quota: none throttled")
	}
	_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
	wantErr(t, err, "TooManyRequestsException", "")
}
