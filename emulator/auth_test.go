package emulator_test

import (
	"strings"
	"testing"
	"time"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	users := []emulator.SeedUser{
		{Username: "ok", Email: "ok@example.com", EmailVerified: true, Password: goodPW},
		{Username: "temp", Status: "FORCE_CHANGE_PASSWORD", Password: goodPW},
		{Username: "expired", Status: "FORCE_CHANGE_PASSWORD", Password: goodPW, LastModified: time.Now().Add(-8 * 24 * time.Hour)},
		{Username: "reset", Status: "RESET_REQUIRED", Password: goodPW},
		{Username: "off", Disabled: true, Password: goodPW},
		{Username: "unconfirmed", Status: "UNCONFIRMED", Password: goodPW},
		{Username: "fed", Status: "EXTERNAL_PROVIDER"},
	}
	for _, u := range users {
		e.add(t, u)
	}
	tests := []struct {
		user, pw, code, msg string
		challenge           bool
	}{
		{user: "ok", pw: goodPW},
		{user: "OK", pw: goodPW},
		{user: "temp", pw: goodPW, challenge: true},
		{"ok", "Wr0ng!pass", "NotAuthorizedException", "Incorrect username or password.", false},
		{"expired", goodPW, "NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.", false},
		{"reset", goodPW, "PasswordResetRequiredException", "Password reset required for the user", false},
		{"off", goodPW, "NotAuthorizedException", "User is disabled.", false},
		{"unconfirmed", goodPW, "UserNotConfirmedException", "User is not confirmed.", false},
		{"fed", goodPW, "NotAuthorizedException", "Incorrect username or password.", false},
		{"nobody", goodPW, "UserNotFoundException", "User does not exist.", false},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/admin", func(t *testing.T) {
			out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth(tt.user, tt.pw))
			if out == nil {
				out = &cip.AdminInitiateAuthOutput{}
			}
			checkAuth(t, err, tt.code, tt.msg, tt.challenge, out.ChallengeName, out.AuthenticationResult)
		})
		t.Run(tt.user+"/user", func(t *testing.T) {
			out, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": tt.user, "PASSWORD": tt.pw}})
			if out == nil {
				out = &cip.InitiateAuthOutput{}
			}
			checkAuth(t, err, tt.code, tt.msg, tt.challenge, out.ChallengeName, out.AuthenticationResult)
		})
	}

	// A client without the password flows, a wrong client, an SRP flow.
	srp, err := e.srv.CreateClient(emulator.ClientConfig{PoolID: poolID, AuthFlows: []string{"ALLOW_USER_SRP_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	in := adminAuth("ok", goodPW)
	in.ClientId = aws.String(srp)
	_, err = e.api.AdminInitiateAuth(e.ctx, in)
	wantErr(t, err, "InvalidParameterException", "Auth flow not enabled for this client")
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{ClientId: aws.String(srp), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "ok", "PASSWORD": goodPW}})
	wantErr(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	in.ClientId = aws.String("nosuchclient")
	_, err = e.api.AdminInitiateAuth(e.ctx, in)
	wantErr(t, err, "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
	in = adminAuth("ok", goodPW)
	in.AuthFlow = types.AuthFlowTypeUserSrpAuth
	_, err = e.api.AdminInitiateAuth(e.ctx, in)
	wantErr(t, err, "InvalidParameterException", "")
}

func checkAuth(t *testing.T, err error, code, msg string, challenge bool, name types.ChallengeNameType, res *types.AuthenticationResultType) {
	t.Helper()
	switch {
	case code != "":
		wantErr(t, err, code, msg)
	case err != nil:
		t.Fatal(err)
	case challenge:
		if name != types.ChallengeNameTypeNewPasswordRequired || res != nil {
			t.Errorf("challenge %q, result %v", name, res)
		}
	default:
		if res == nil || strings.Count(aws.ToString(res.AccessToken), ".") != 2 || aws.ToString(res.IdToken) == "" ||
			aws.ToString(res.RefreshToken) == "" || aws.ToString(res.TokenType) != "Bearer" || res.ExpiresIn != 3600 {
			t.Errorf("authentication result %+v", res)
		}
	}
}

func TestNewPasswordChallenge(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, name := range []string{"a1", "a2", "a3"} {
		e.add(t, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true})
		if _, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(poolID), Username: aws.String(name), Password: aws.String(goodPW)}); err != nil {
			t.Fatal(err)
		}
	}

	// Admin flow.
	out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("a1", goodPW))
	if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("challenge %q, %v", out.ChallengeName, err)
	}
	if out.ChallengeParameters["USER_ID_FOR_SRP"] != "a1" || !strings.Contains(out.ChallengeParameters["userAttributes"], "a1@example.com") {
		t.Errorf("challenge parameters %v", out.ChallengeParameters)
	}
	respond := func(session, user, pw string) (*cip.AdminRespondToAuthChallengeOutput, error) {
		return e.api.AdminRespondToAuthChallenge(e.ctx, &cip.AdminRespondToAuthChallengeInput{
			UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
			Session: aws.String(session), ChallengeResponses: map[string]string{"USERNAME": user, "NEW_PASSWORD": pw}})
	}
	_, err = respond(aws.ToString(out.Session), "a1", "weak")
	wantErr(t, err, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
	_, err = respond("garbage", "a1", otherPW)
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user.")
	_, err = respond(aws.ToString(out.Session), "a2", otherPW)
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user.")
	res, err := respond(aws.ToString(out.Session), "a1", otherPW)
	if err != nil {
		t.Fatal(err)
	}
	if res.AuthenticationResult == nil || aws.ToString(res.AuthenticationResult.AccessToken) == "" {
		t.Errorf("result %+v", res)
	}
	if s := e.status(t, "a1"); s != "CONFIRMED" {
		t.Errorf("a1 %s", s)
	}
	// The session is spent: the user is no longer in FORCE_CHANGE_PASSWORD.
	_, err = respond(aws.ToString(out.Session), "a1", "An0ther!pass")
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user.")
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("a1", otherPW)); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}

	// User flow.
	uo, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "a3", "PASSWORD": goodPW}})
	if err != nil || uo.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("challenge %q, %v", uo.ChallengeName, err)
	}
	ur, err := e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: uo.Session,
		ChallengeResponses: map[string]string{"USERNAME": "a3", "NEW_PASSWORD": otherPW}})
	if err != nil || ur.AuthenticationResult == nil {
		t.Fatalf("respond: %v", err)
	}
	if s := e.status(t, "a3"); s != "CONFIRMED" {
		t.Errorf("a3 %s", s)
	}
}

func TestSecretHash(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "ok", Password: goodPW})
	id, err := e.srv.CreateClient(emulator.ClientConfig{PoolID: poolID, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	in := adminAuth("ok", goodPW)
	in.ClientId = aws.String(id)
	_, err = e.api.AdminInitiateAuth(e.ctx, in)
	wantErr(t, err, "NotAuthorizedException", "Client "+id+" is configured with secret but SECRET_HASH was not received")
	in.AuthParameters["SECRET_HASH"] = secretHash("s3cret", "ok", id)
	if _, err := e.api.AdminInitiateAuth(e.ctx, in); err != nil {
		t.Fatal(err)
	}
	in.AuthParameters["SECRET_HASH"] = secretHash("wrong", "ok", id)
	_, err = e.api.AdminInitiateAuth(e.ctx, in)
	wantErr(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+id)
}
