package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cogpass/cognito/policy"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestProtocol(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantType, wantMsg          string
	}{
		{"unknown operation", "POST", "AWSCognitoIdentityProviderService.DeleteUserPool", "{}", 400, "UnknownOperationException", "unknown operation AWSCognitoIdentityProviderService.DeleteUserPool"},
		{"other service", "POST", "DynamoDB_20120810.GetItem", "{}", 400, "UnknownOperationException", "unknown operation DynamoDB_20120810.GetItem"},
		{"no target", "POST", "", "{}", 400, "UnknownOperationException", "unknown operation: missing X-Amz-Target header"},
		{"GET", "GET", "", "", 400, "UnknownOperationException", ""},
		{"malformed JSON", "POST", "AWSCognitoIdentityProviderService.AdminGetUser", `{"UserPoolId":`, 400, "SerializationException", ""},
		{"wrong JSON type", "POST", "AWSCognitoIdentityProviderService.AdminSetUserPassword", `{"UserPoolId":"us-east-1_Test","Username":"a","Password":"Passw0rd!","Permanent":"yes"}`, 400, "SerializationException", ""},
		{"ok", "POST", "AWSCognitoIdentityProviderService.DescribeUserPool", `{"UserPoolId":"us-east-1_Test"}`, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type %q", got)
			}
			if tt.wantType == "" {
				return
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("error body %s: %v", raw, err)
			}
			if body.Type != tt.wantType || resp.Header.Get("X-Amzn-ErrorType") != tt.wantType {
				t.Errorf("__type %q, x-amzn-ErrorType %q, want %q", body.Type, resp.Header.Get("X-Amzn-ErrorType"), tt.wantType)
			}
			if tt.wantMsg != "" && body.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", body.Message, tt.wantMsg)
			}
			if body.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestPoolsAndClients(t *testing.T) {
	e := newEnv(t, emulator.Options{})

	created, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("hist"),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireNumbers: true, PasswordHistorySize: aws.Int32(3), TemporaryPasswordValidityDays: 2,
		}},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UserPool.Id)
	if !strings.HasPrefix(id, "us-east-1_") {
		t.Errorf("pool ID %q", id)
	}
	desc, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	pp := desc.UserPool.Policies.PasswordPolicy
	if aws.ToInt32(pp.MinimumLength) != 12 || !pp.RequireNumbers || pp.RequireSymbols || aws.ToInt32(pp.PasswordHistorySize) != 3 || pp.TemporaryPasswordValidityDays != 2 {
		t.Errorf("policy %+v", pp)
	}
	if desc.UserPool.EmailConfiguration.EmailSendingAccount != types.EmailSendingAccountTypeDeveloper {
		t.Errorf("email sending account %q", desc.UserPool.EmailConfiguration.EmailSendingAccount)
	}
	// Through the API, a pool is case-sensitive unless told otherwise.
	if uc := desc.UserPool.UsernameConfiguration; uc == nil || !aws.ToBool(uc.CaseSensitive) {
		t.Errorf("username configuration %+v, want case-sensitive", uc)
	}

	// The default pool: Cognito's default policy, no PasswordHistorySize
	// key at all, COGNITO_DEFAULT e-mail.
	raw := rawCall(t, e.url, "DescribeUserPool", `{"UserPoolId":"`+poolID+`"}`)
	if strings.Contains(raw, "PasswordHistorySize") {
		t.Errorf("PasswordHistorySize present with history off: %s", raw)
	}
	desc, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	pp = desc.UserPool.Policies.PasswordPolicy
	def := policy.Default()
	if aws.ToInt32(pp.MinimumLength) != int32(def.MinimumLength) || !pp.RequireUppercase || !pp.RequireLowercase || !pp.RequireNumbers || !pp.RequireSymbols || pp.TemporaryPasswordValidityDays != 7 {
		t.Errorf("default policy %+v", pp)
	}
	if desc.UserPool.EmailConfiguration.EmailSendingAccount != types.EmailSendingAccountTypeCognitoDefault {
		t.Errorf("email sending account %q", desc.UserPool.EmailConfiguration.EmailSendingAccount)
	}

	cl, err := e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(id), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(cl.UserPoolClient.ClientId)) != 26 || aws.ToString(cl.UserPoolClient.UserPoolId) != id {
		t.Errorf("client %+v", cl.UserPoolClient)
	}

	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_Nope")})
	wantErr(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope does not exist.")
	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("bad pool")})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_Nope"), ClientName: aws.String("x")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func rawCall(t *testing.T, url, op, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

func TestAdminCreateAndGetUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	before := time.Now().Add(-time.Second)
	out, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String("Alice"),
		TemporaryPassword: aws.String(goodPW), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.User.UserStatus != types.UserStatusTypeForceChangePassword || !out.User.Enabled || aws.ToString(out.User.Username) != "Alice" {
		t.Errorf("created %+v", out.User)
	}

	// The pool is case-insensitive: any capitalisation finds Alice.
	got, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ALICE")})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range got.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if attrs["email"] != "alice@example.com" || attrs["email_verified"] != "true" || len(attrs["sub"]) != 36 {
		t.Errorf("attributes %v", attrs)
	}
	if got.UserCreateDate.Before(before) || got.UserLastModifiedDate.Before(before) || !got.Enabled || got.UserStatus != types.UserStatusTypeForceChangePassword {
		t.Errorf("user %+v", got)
	}

	tests := []struct {
		name      string
		in        cip.AdminCreateUserInput
		code, msg string
	}{
		{"duplicate", cip.AdminCreateUserInput{Username: aws.String("alice")}, "UsernameExistsException", "User account already exists"},
		{"weak temporary password", cip.AdminCreateUserInput{Username: aws.String("bob"), TemporaryPassword: aws.String("password1!")}, "InvalidPasswordException", "Password did not conform with policy: Password must have uppercase characters"},
		{"unknown attribute", cip.AdminCreateUserInput{Username: aws.String("bob"), UserAttributes: []types.AttributeType{{Name: aws.String("custom:x"), Value: aws.String("1")}}}, "InvalidParameterException", ""},
		{"white space in username", cip.AdminCreateUserInput{Username: aws.String("bo b")}, "InvalidParameterException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.UserPoolId = aws.String(poolID)
			_, err := e.api.AdminCreateUser(e.ctx, &tt.in)
			wantErr(t, err, tt.code, tt.msg)
		})
	}

	// Without a temporary password, Cognito generates one.
	if _, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	if s := e.status(t, "carol"); s != "FORCE_CHANGE_PASSWORD" {
		t.Errorf("carol %s", s)
	}

	_, err = e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("nobody")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Nope"), Username: aws.String("alice")})
	wantErr(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope does not exist.")
}

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

func startEnv(t *testing.T, srv *emulator.Server) *env {
	t.Helper()
	if _, err := srv.CreateClient(emulator.ClientConfig{PoolID: poolID, ID: clientID}); err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, ctx: t.Context()}
	hs := newHTTPServer(t, srv)
	e.url, e.api = hs, newClient(hs)
	return e
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

func adminAuth(user, pw string) *cip.AdminInitiateAuthInput {
	return &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw},
	}
}

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

func TestDisableEnable(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u", Password: goodPW})
	ref := func() (*string, *string) { return aws.String(poolID), aws.String("u") }
	p, u := ref()
	if _, err := e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: u}); err != nil {
		t.Fatal(err)
	}
	got, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: p, Username: u})
	if err != nil || got.Enabled {
		t.Fatalf("after disable: enabled %v, %v", got.Enabled, err)
	}
	_, err = e.api.AdminInitiateAuth(e.ctx, adminAuth("u", goodPW))
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	if _, err := e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: p, Username: u}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", goodPW)); err != nil {
		t.Errorf("after enable: %v", err)
	}
	_, err = e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: aws.String("nobody")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String("us-east-1_Nope"), Username: u})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func TestEmailAlias(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID, AliasAttributes: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(poolID, emulator.SeedUser{Username: "dana", Email: "Dana@Example.com", EmailVerified: true, Password: goodPW}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(poolID, emulator.SeedUser{Username: "eve", Email: "eve@example.com", Password: goodPW}); err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, srv)
	got, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("dana@example.com")})
	if err != nil || aws.ToString(got.Username) != "dana" {
		t.Fatalf("alias: %v %v", got, err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("dana@example.com", goodPW)); err != nil {
		t.Errorf("sign in by alias: %v", err)
	}
	// Only a verified email is an alias.
	_, err = e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("eve@example.com")})
	wantErr(t, err, "UserNotFoundException", "")
}

func TestCaseSensitivePool(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID, CaseSensitive: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Bob", "bob"} {
		if err := srv.AddUser(poolID, emulator.SeedUser{Username: name}); err != nil {
			t.Fatal(err)
		}
	}
	e := startEnv(t, srv)
	if _, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("BOB")}); errCode(err) != "UserNotFoundException" {
		t.Errorf("BOB in a case-sensitive pool: %v", err)
	}
	// In the default (case-insensitive) pool, Bob and bob are one user.
	other := emulator.New(emulator.Options{})
	_ = other.CreatePool(emulator.PoolConfig{ID: poolID})
	_ = other.AddUser(poolID, emulator.SeedUser{Username: "Bob"})
	if err := other.AddUser(poolID, emulator.SeedUser{Username: "bob"}); err == nil {
		t.Error("bob added next to Bob in a case-insensitive pool")
	}
}
