package emulator_test

import (
	"testing"

	"cogpass/cognito/quota"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestAdminUserGlobalSignOut: access and refresh tokens issued before a
// sign-out are refused with NotAuthorizedException; tokens issued after
// work.
func TestAdminUserGlobalSignOut(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true, Password: goodPW})
	e.add(t, emulator.SeedUser{Username: "other", Password: goodPW})
	signIn := func(user, pw string) *types.AuthenticationResultType {
		t.Helper()
		out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth(user, pw))
		if err != nil {
			t.Fatalf("sign in %s: %v", user, err)
		}
		return out.AuthenticationResult
	}
	refresh := func(tok string) (*types.AuthenticationResultType, error) {
		out, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": tok}})
		if err != nil {
			return nil, err
		}
		return out.AuthenticationResult, nil
	}
	change := func(tok, prev, next string) error {
		_, err := e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: aws.String(tok), PreviousPassword: aws.String(prev), ProposedPassword: aws.String(next)})
		return err
	}
	signOut := func(user string) error {
		_, err := e.api.AdminUserGlobalSignOut(e.ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
		return err
	}

	old := signIn("u", goodPW)
	bystander := signIn("other", goodPW)
	// Before the sign-out the refresh token works and gives a new access
	// token (and no new refresh token).
	fresh, err := refresh(aws.ToString(old.RefreshToken))
	if err != nil {
		t.Fatalf("refresh before sign-out: %v", err)
	}
	if fresh.AccessToken == nil || fresh.RefreshToken != nil {
		t.Errorf("refresh answer %+v: want an access token and no refresh token", fresh)
	}

	if err := signOut("u"); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.srv.SignOuts(poolID, "u"); n != 1 {
		t.Errorf("SignOuts = %d, want 1", n)
	}
	wantErr(t, change(aws.ToString(old.AccessToken), goodPW, otherPW), "NotAuthorizedException", "Access Token has been revoked")
	wantErr(t, change(aws.ToString(fresh.AccessToken), goodPW, otherPW), "NotAuthorizedException", "Access Token has been revoked")
	_, err = refresh(aws.ToString(old.RefreshToken))
	wantErr(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	if st := e.status(t, "u"); st != emulator.StatusConfirmed {
		t.Errorf("status after sign-out %s, want CONFIRMED (a sign-out changes no password)", st)
	}

	// Another user's tokens are untouched.
	if err := change(aws.ToString(bystander.AccessToken), goodPW, otherPW); err != nil {
		t.Errorf("another user's token after the sign-out: %v", err)
	}

	// A new sign-in after the sign-out works, and its refresh token too.
	now := signIn("u", goodPW)
	if _, err := refresh(aws.ToString(now.RefreshToken)); err != nil {
		t.Errorf("refresh with a token issued after the sign-out: %v", err)
	}
	if err := change(aws.ToString(now.AccessToken), goodPW, otherPW); err != nil {
		t.Errorf("ChangePassword with a token issued after the sign-out: %v", err)
	}

	// Errors of the service model.
	wantErr(t, signOut("nobody"), "UserNotFoundException", "User does not exist.")
	_, err = e.api.AdminUserGlobalSignOut(e.ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String("us-east-1_Nope"), Username: aws.String("u")})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = refresh("not-a-token")
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
}

// TestAdminUserGlobalSignOutQuota: the operation is metered in UserUpdate.
// A UserUpdate rate far below one call per second throttles every call of
// the category (the bucket never holds a whole call), whatever the timing.
func TestAdminUserGlobalSignOutQuota(t *testing.T) {
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserUpdate: 0.001}, PerUserWriteRPS: -1})
	e.add(t, emulator.SeedUser{Username: "u"})
	_, err := e.api.AdminUserGlobalSignOut(e.ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
	wantErr(t, err, "TooManyRequestsException", "")
	if n, _ := e.srv.SignOuts(poolID, "u"); n != 0 {
		t.Errorf("a throttled sign-out signed the user out (%d)", n)
	}
	if st := e.srv.Stats()["AdminUserGlobalSignOut"]; st != (emulator.OpStats{Calls: 1, Throttled: 1}) {
		t.Errorf("stats %+v", st)
	}
	// Other categories are not touched.
	if _, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("u")}); err != nil {
		t.Errorf("UserRead call: %v", err)
	}
}
