package emulator_test

import (
	"strings"
	"testing"

	"cogpass/cognito/policy"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

func TestAdminSetUserPassword(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u1", Email: "u1@example.com", EmailVerified: true, Password: goodPW})

	set := func(user, pw string, permanent bool) error {
		_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(poolID), Username: aws.String(user), Password: aws.String(pw), Permanent: permanent})
		return err
	}
	// Transitions.
	transitions := []struct {
		permanent bool
		want      string
	}{{false, "FORCE_CHANGE_PASSWORD"}, {true, "CONFIRMED"}, {false, "FORCE_CHANGE_PASSWORD"}}
	for _, tr := range transitions {
		if err := set("u1", otherPW, tr.permanent); err != nil {
			t.Fatal(err)
		}
		if got := e.status(t, "u1"); got != tr.want {
			t.Errorf("permanent=%v: status %s, want %s", tr.permanent, got, tr.want)
		}
	}

	errs := []struct {
		name, user, pw string
		code, msg      string
	}{
		{"too short", "u1", "Aa1!", "InvalidPasswordException", "Password did not conform with policy: Password not long enough"},
		{"no lowercase", "u1", "PASSW0RD!", "InvalidPasswordException", "Password did not conform with policy: Password must have lowercase characters"},
		{"no number", "u1", "Password!", "InvalidPasswordException", "Password did not conform with policy: Password must have numeric characters"},
		{"no symbol", "u1", "Passw0rdX", "InvalidPasswordException", "Password did not conform with policy: Password must have symbol characters"},
		{"leading white space", "u1", " Passw0rd!", "InvalidParameterException", `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$`},
		{"trailing white space", "u1", "Passw0rd! ", "InvalidParameterException", `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$`},
		{"only white space", "u1", "   ", "InvalidParameterException", `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$`},
		{"too long", "u1", "Aa1!" + strings.Repeat("x", 253), "InvalidParameterException", "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"unknown user", "nobody", goodPW, "UserNotFoundException", "User does not exist."},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, set(tt.user, tt.pw, true), tt.code, tt.msg)
			if strings.Contains(tt.msg, tt.pw) {
				t.Error("the error echoes the password")
			}
		})
	}
	// A 256-character password is fine.
	if err := set("u1", "Aa1!"+strings.Repeat("x", 252), true); err != nil {
		t.Errorf("256 characters: %v", err)
	}
}

func TestPasswordHistory(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	p := policy.Default()
	p.PasswordHistorySize = 2
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID, Policy: p}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(poolID, emulator.SeedUser{Username: "u", Password: "First1!aa"}); err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, srv)
	set := func(pw string) error {
		_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(poolID), Username: aws.String("u"), Password: aws.String(pw), Permanent: true})
		return err
	}
	steps := []struct {
		pw   string
		code string
	}{
		{"First1!aa", "PasswordHistoryPolicyViolationException"}, // the current one
		{"Second1!a", ""},
		{"First1!aa", "PasswordHistoryPolicyViolationException"}, // one of the last two
		{"Third1!aa", ""},
		{"First1!aa", ""}, // fell out of a history of two
	}
	for _, st := range steps {
		if got := errCode(set(st.pw)); got != st.code {
			t.Errorf("set %s: got %q, want %q", st.pw, got, st.code)
		}
	}
	raw := rawCall(t, e.url, "DescribeUserPool", `{"UserPoolId":"`+poolID+`"}`)
	if !strings.Contains(raw, `"PasswordHistorySize":2`) {
		t.Errorf("PasswordHistorySize missing: %s", raw)
	}
}

func TestAdminResetUserPassword(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	users := []emulator.SeedUser{
		{Username: "confirmed", Email: "c@example.com", EmailVerified: true, Password: goodPW},
		{Username: "phoneonly", Phone: "+15555550100", PhoneVerified: true, Password: goodPW},
		{Username: "unverified", Email: "u@example.com", Password: goodPW},
		{Username: "temporary", Status: "FORCE_CHANGE_PASSWORD", Email: "t@example.com", EmailVerified: true, Password: goodPW},
		{Username: "disabled", Disabled: true, Email: "d@example.com", EmailVerified: true, Password: goodPW},
		{Username: "already", Status: "RESET_REQUIRED", Email: "a@example.com", EmailVerified: true},
	}
	for _, u := range users {
		e.add(t, u)
	}
	tests := []struct {
		user, code, msg, status string
	}{
		{"confirmed", "", "", "RESET_REQUIRED"},
		{"phoneonly", "", "", "RESET_REQUIRED"},
		{"already", "", "", "RESET_REQUIRED"},
		{"unverified", "InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number", "CONFIRMED"},
		{"temporary", "NotAuthorizedException", "User password cannot be reset in the current state.", "FORCE_CHANGE_PASSWORD"},
		{"disabled", "NotAuthorizedException", "User is disabled.", "CONFIRMED"},
		{"nobody", "UserNotFoundException", "User does not exist.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{
				UserPoolId: aws.String(poolID), Username: aws.String(tt.user), ClientMetadata: map[string]string{"reason": "incident"}})
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantErr(t, err, tt.code, tt.msg)
			}
			if tt.status != "" {
				if got := e.status(t, tt.user); got != tt.status {
					t.Errorf("status %s, want %s", got, tt.status)
				}
			}
		})
	}
	// A reset user signs in no more.
	_, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("confirmed", goodPW))
	wantErr(t, err, "PasswordResetRequiredException", "Password reset required for the user")
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true, Password: goodPW})
	e.add(t, emulator.SeedUser{Username: "v", Email: "v@example.com", EmailVerified: true, Password: goodPW})
	token := func(user, pw string) string {
		out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth(user, pw))
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.AuthenticationResult.AccessToken)
	}
	change := func(tok, prev, next string) error {
		_, err := e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: aws.String(tok), PreviousPassword: aws.String(prev), ProposedPassword: aws.String(next)})
		return err
	}
	tok := token("u", goodPW)
	wantErr(t, change(tok, "Wr0ng!pass", otherPW), "NotAuthorizedException", "Incorrect username or password.")
	wantErr(t, change(tok, goodPW, "weakweak"), "InvalidPasswordException", "Password did not conform with policy: Password must have uppercase characters")
	wantErr(t, change("not.a.token", goodPW, otherPW), "NotAuthorizedException", "Invalid Access Token")
	wantErr(t, change(tok[:len(tok)-2]+"xx", goodPW, otherPW), "NotAuthorizedException", "Invalid Access Token")
	wantErr(t, change(tok, goodPW, " has space1A!"), "InvalidParameterException", "") // leading white space; an inner space is fine (TestPassphrase)
	if err := change(tok, goodPW, otherPW); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", otherPW)); err != nil {
		t.Errorf("sign in with the changed password: %v", err)
	}

	vt := token("v", goodPW)
	if _, err := e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, change(vt, goodPW, otherPW), "NotAuthorizedException", "User is disabled.")
	if _, err := e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, change(vt, goodPW, otherPW), "PasswordResetRequiredException", "")
}
