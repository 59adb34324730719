package emulator_test

import (
	"testing"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestPassphrase: an inner space is a special character (developer guide,
// user pool password requirements), so "correct horse Battery 9" meets the
// default policy, which requires symbols: it can be set, used to sign in,
// and given as the previous password of a ChangePassword.
func TestPassphrase(t *testing.T) {
	const phrase, next = "correct horse Battery 9", "another horse Battery 10"
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u1", Email: "u1@example.com", EmailVerified: true, Password: goodPW})
	if _, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String("u1"), Password: aws.String(phrase), Permanent: true}); err != nil {
		t.Fatalf("set a passphrase: %v", err)
	}
	out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u1", phrase))
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign in with the passphrase: %v", err)
	}
	if _, err := e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: out.AuthenticationResult.AccessToken,
		PreviousPassword: aws.String(phrase), ProposedPassword: aws.String(next)}); err != nil {
		t.Fatalf("change from the passphrase: %v", err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u1", next)); err != nil {
		t.Errorf("sign in with the new passphrase: %v", err)
	}
	// White space at either end is still refused, with Cognito's words.
	_, err = e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String("u1"), Password: aws.String(phrase + " "), Permanent: true})
	wantErr(t, err, "InvalidParameterException", `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$`)
}
