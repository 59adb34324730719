package emulator_test

import (
	"testing"
	"time"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

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
