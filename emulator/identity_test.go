package emulator_test

import (
	"testing"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func attr(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

func getUser(t *testing.T, e *env, pool, username string) (*cip.AdminGetUserOutput, error) {
	t.Helper()
	return e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(username)})
}

// TestSetPasswordExternalProvider: AdminSetUserPassword on a federated
// user succeeds and makes the user CONFIRMED (API reference,
// AdminSetUserPassword); the old emulator refused it.
func TestSetPasswordExternalProvider(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "Google_1234", Status: emulator.StatusExternalProvider})
	e.add(t, emulator.SeedUser{Username: "Google_5678", Status: emulator.StatusExternalProvider})
	if err := setPW(e, "Google_1234", goodPW); err != nil {
		t.Fatalf("AdminSetUserPassword on an EXTERNAL_PROVIDER user: %v", err)
	}
	if st := e.status(t, "Google_1234"); st != emulator.StatusConfirmed {
		t.Errorf("status %s, want CONFIRMED", st)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("Google_1234", goodPW)); err != nil {
		t.Errorf("sign in with the password set: %v", err)
	}
	// A temporary password too: the documented transition is to CONFIRMED.
	if _, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("Google_5678"),
		Password: aws.String(goodPW)}); err != nil {
		t.Fatal(err)
	}
	if st := e.status(t, "Google_5678"); st != emulator.StatusConfirmed {
		t.Errorf("temporary password: status %s, want CONFIRMED", st)
	}
}

func TestResetRefusals(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "unconfirmed", Status: emulator.StatusUnconfirmed, Email: "x@example.com", EmailVerified: true})
	wantErr(t, resetUser(e, poolID, "unconfirmed"), "NotAuthorizedException", "User password cannot be reset in the current state.")
	if st := e.status(t, "unconfirmed"); st != emulator.StatusUnconfirmed {
		t.Errorf("status %s after a refused reset", st)
	}

	// A pool whose only recovery mechanism is admin_only has no
	// self-service recovery: resets are refused, and DescribeUserPool says
	// so.
	const adminOnly = "us-east-1_AdminOnly"
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: adminOnly, AccountRecovery: []string{emulator.RecoveryAdminOnly}}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddUser(adminOnly, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, resetUser(e, adminOnly, "u"), "NotAuthorizedException", "Contact administrator to reset password.")
	if st, _ := getUser(t, e, adminOnly, "u"); st == nil || st.UserStatus != types.UserStatusTypeConfirmed {
		t.Errorf("status after a refused reset: %+v", st)
	}
	desc, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(adminOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if ars := desc.UserPool.AccountRecoverySetting; ars == nil || len(ars.RecoveryMechanisms) != 1 ||
		ars.RecoveryMechanisms[0].Name != types.RecoveryOptionNameTypeAdminOnly || aws.ToInt32(ars.RecoveryMechanisms[0].Priority) != 1 {
		t.Errorf("AccountRecoverySetting %+v", desc.UserPool.AccountRecoverySetting)
	}
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Bad", AccountRecovery: []string{"admin_only", "verified_email"}}); err == nil {
		t.Error("admin_only combined with another mechanism accepted")
	}
}

// TestAccountRecoverySettingThroughTheAPI: CreateUserPool's
// AccountRecoverySetting is kept, returned by DescribeUserPool and decides
// how the code goes out; without one DescribeUserPool leaves it out and the
// legacy order (verified phone first) applies.
func TestAccountRecoverySettingThroughTheAPI(t *testing.T) {
	e := newEnv(t, emulator.Options{EmailDailyCap: 1})
	create := func(ars *types.AccountRecoverySettingType) string {
		out, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p"), AccountRecoverySetting: ars})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.UserPool.Id)
	}
	describe := func(id string) *types.AccountRecoverySettingType {
		out, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out.UserPool.AccountRecoverySetting
	}
	adminOnly := create(&types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{{Name: types.RecoveryOptionNameTypeAdminOnly, Priority: aws.Int32(1)}}})
	if got := describe(adminOnly); got == nil || got.RecoveryMechanisms[0].Name != types.RecoveryOptionNameTypeAdminOnly {
		t.Errorf("admin_only pool: %+v", got)
	}
	phoneFirst := create(&types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
		{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(2)}, {Name: types.RecoveryOptionNameTypeVerifiedPhoneNumber, Priority: aws.Int32(1)}}})
	got := describe(phoneFirst)
	if got == nil || len(got.RecoveryMechanisms) != 2 || got.RecoveryMechanisms[0].Name != types.RecoveryOptionNameTypeVerifiedPhoneNumber {
		t.Errorf("phone-first pool: %+v", got)
	}
	legacy := create(nil)
	if got := describe(legacy); got != nil {
		t.Errorf("a pool made without AccountRecoverySetting describes one: %+v", got)
	}
	_, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bad"), AccountRecoverySetting: &types.AccountRecoverySettingType{
		RecoveryMechanisms: []types.RecoveryOptionType{{Name: types.RecoveryOptionNameTypeAdminOnly, Priority: aws.Int32(1)}, {Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(2)}}}})
	wantErr(t, err, "InvalidParameterException", "")

	// Users with both a verified e-mail and a verified phone: in the
	// phone-first and the legacy pool their codes go by SMS and do not use
	// up the e-mail cap of 1.
	both := emulator.SeedUser{Email: "b@example.com", EmailVerified: true, Phone: "+15555550100", PhoneVerified: true}
	for _, id := range []string{phoneFirst, legacy, adminOnly} {
		for _, name := range []string{"a", "b"} {
			both.Username = name
			if err := e.srv.AddUser(id, both); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []string{phoneFirst, legacy} {
		for _, name := range []string{"a", "b"} {
			if err := resetUser(e, id, name); err != nil {
				t.Errorf("reset %s in %s: %v", name, id, err)
			}
		}
	}
	if n := e.srv.EmailsSent(); n != 0 {
		t.Errorf("%d e-mails sent for codes that go by SMS", n)
	}
	wantErr(t, resetUser(e, adminOnly, "a"), "NotAuthorizedException", "")
}

// TestUsernameIsSub: the admin operations take the user's sub as Username
// and answer with the real username.
func TestUsernameIsSub(t *testing.T) {
	const sub = "0f8fad5b-d9cb-469f-a165-70867728950e"
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "rhaddad", Sub: sub, Email: "r@example.com", EmailVerified: true, Password: goodPW})
	e.add(t, emulator.SeedUser{Username: "other", Email: "o@example.com", EmailVerified: true})
	got, err := getUser(t, e, poolID, sub)
	if err != nil {
		t.Fatalf("AdminGetUser by sub: %v", err)
	}
	if aws.ToString(got.Username) != "rhaddad" || attr(got.UserAttributes, "sub") != sub {
		t.Errorf("AdminGetUser by sub: %s, sub %s", aws.ToString(got.Username), attr(got.UserAttributes, "sub"))
	}
	if err := setPW(e, sub, otherPW); err != nil {
		t.Fatalf("AdminSetUserPassword by sub: %v", err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("rhaddad", otherPW)); err != nil {
		t.Errorf("the password set by sub did not reach rhaddad: %v", err)
	}
	if _, err := e.api.AdminUserGlobalSignOut(e.ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(poolID), Username: aws.String(sub)}); err != nil {
		t.Errorf("AdminUserGlobalSignOut by sub: %v", err)
	}
	if n, _ := e.srv.SignOuts(poolID, "rhaddad"); n != 1 {
		t.Errorf("sign-outs of rhaddad: %d", n)
	}
	if err := resetUser(e, poolID, sub); err != nil {
		t.Fatalf("AdminResetUserPassword by sub: %v", err)
	}
	if st := e.status(t, "rhaddad"); st != emulator.StatusResetRequired {
		t.Errorf("status %s after a reset by sub", st)
	}
	if st := e.status(t, "other"); st != emulator.StatusConfirmed {
		t.Errorf("another user changed: %s", st)
	}
	_, err = getUser(t, e, poolID, "11111111-2222-4333-8444-555555555555")
	wantErr(t, err, "UserNotFoundException", "")
}

// TestUsernameAttributesPool: in a pool that signs users in by e-mail, a
// user gets a generated UUID username, and the e-mail finds the user.
func TestUsernameAttributesPool(t *testing.T) {
	const byEmail = "us-east-1_ByEmail"
	e := newEnv(t, emulator.Options{})
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: byEmail, UsernameAttributes: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddUser(byEmail, emulator.SeedUser{Username: "Alice@Example.com", Password: goodPW}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddUser(byEmail, emulator.SeedUser{Username: "alice@example.com"}); err == nil {
		t.Error("a second user with the same e-mail accepted")
	}
	if err := e.srv.AddUser(byEmail, emulator.SeedUser{Username: "alice"}); err == nil {
		t.Error("a username that is not an e-mail accepted")
	}
	got, err := getUser(t, e, byEmail, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	name := aws.ToString(got.Username)
	if name != attr(got.UserAttributes, "sub") || len(name) != 36 {
		t.Errorf("username %q, sub %q: want the sub as username", name, attr(got.UserAttributes, "sub"))
	}
	if attr(got.UserAttributes, "email") != "Alice@Example.com" {
		t.Errorf("email %q", attr(got.UserAttributes, "email"))
	}
	if again, err := getUser(t, e, byEmail, name); err != nil || aws.ToString(again.Username) != name {
		t.Errorf("AdminGetUser by the generated username: %v %v", again, err)
	}

	// Through the API.
	created, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("by-email"), UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UserPool.Id)
	if ua := created.UserPool.UsernameAttributes; len(ua) != 1 || ua[0] != types.UsernameAttributeTypeEmail {
		t.Errorf("UsernameAttributes %v", ua)
	}
	out, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(id), Username: aws.String("bob@example.com"),
		MessageAction: types.MessageActionTypeSuppress})
	if err != nil {
		t.Fatal(err)
	}
	if u := aws.ToString(out.User.Username); u != attr(out.User.Attributes, "sub") || attr(out.User.Attributes, "email") != "bob@example.com" {
		t.Errorf("AdminCreateUser: username %q, attributes %+v", u, out.User.Attributes)
	}
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(id), Username: aws.String("bob@example.com"), MessageAction: types.MessageActionTypeSuppress})
	wantErr(t, err, "UsernameExistsException", "")
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(id), Username: aws.String("bob"), MessageAction: types.MessageActionTypeSuppress})
	wantErr(t, err, "InvalidParameterException", "Username should be an email.")

	// Seeded users of such a pool: the seeded name is the e-mail.
	if err := e.srv.SeedUsers(id, 2); err != nil {
		t.Fatal(err)
	}
	if got, err := getUser(t, e, id, "user000002@example.com"); err != nil || len(aws.ToString(got.Username)) != 36 {
		t.Errorf("seeded user by e-mail: %v %v", got, err)
	}
}

// TestAliasAttributes: an e-mail or phone alias finds the canonical user.
func TestAliasAttributes(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID, AliasAttributes: []string{"email", "phone_number"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(poolID, emulator.SeedUser{Username: "rhaddad", Email: "R.Haddad@example.com", EmailVerified: true,
		Phone: "+15555550199", PhoneVerified: true, Password: goodPW}); err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, srv)
	for _, name := range []string{"rhaddad", "r.haddad@example.com", "+15555550199"} {
		got, err := getUser(t, e, poolID, name)
		if err != nil || aws.ToString(got.Username) != "rhaddad" {
			t.Errorf("AdminGetUser %q: %v %v, want rhaddad", name, got, err)
		}
	}
	if err := setPW(e, "+15555550199", otherPW); err != nil {
		t.Fatalf("AdminSetUserPassword by phone alias: %v", err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("rhaddad", otherPW)); err != nil {
		t.Errorf("the password set by alias did not reach rhaddad: %v", err)
	}

	// In a case-sensitive pool the e-mail alias is case-sensitive too.
	const sensitive = "us-east-1_Sensitive"
	if err := srv.CreatePool(emulator.PoolConfig{ID: sensitive, CaseSensitive: true, AliasAttributes: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(sensitive, emulator.SeedUser{Username: "dana", Email: "Dana@Example.com", EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := getUser(t, e, sensitive, "Dana@Example.com"); err != nil || aws.ToString(got.Username) != "dana" {
		t.Errorf("exact alias in a case-sensitive pool: %v %v", got, err)
	}
	_, err := getUser(t, e, sensitive, "dana@example.com")
	wantErr(t, err, "UserNotFoundException", "")
}

// TestCaseSensitivity: a pool made through the API without
// UsernameConfiguration is case-sensitive and holds john.doe and John.Doe
// as two users; a case-insensitive pool finds a user in any letter case
// and answers with the canonical spelling.
func TestCaseSensitivity(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	create := func(uc *types.UsernameConfigurationType) string {
		out, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p"), UsernameConfiguration: uc})
		if err != nil {
			t.Fatal(err)
		}
		desc, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: out.UserPool.Id})
		if err != nil {
			t.Fatal(err)
		}
		want := uc == nil || aws.ToBool(uc.CaseSensitive)
		if got := desc.UserPool.UsernameConfiguration; got == nil || aws.ToBool(got.CaseSensitive) != want {
			t.Errorf("UsernameConfiguration %+v, want CaseSensitive %v", got, want)
		}
		return aws.ToString(out.UserPool.Id)
	}
	mk := func(pool, name string) error {
		_, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress})
		return err
	}
	sensitive := create(nil)
	for _, name := range []string{"john.doe", "John.Doe"} {
		if err := mk(sensitive, name); err != nil {
			t.Fatalf("%s in a case-sensitive pool: %v", name, err)
		}
		got, err := getUser(t, e, sensitive, name)
		if err != nil || aws.ToString(got.Username) != name {
			t.Errorf("AdminGetUser %s: %v %v", name, got, err)
		}
	}
	_, err := getUser(t, e, sensitive, "JOHN.DOE")
	wantErr(t, err, "UserNotFoundException", "")

	insensitive := create(&types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)})
	if err := mk(insensitive, "John.Doe"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, mk(insensitive, "john.doe"), "UsernameExistsException", "")
	for _, name := range []string{"john.doe", "JOHN.DOE", "John.Doe"} {
		got, err := getUser(t, e, insensitive, name)
		if err != nil || aws.ToString(got.Username) != "John.Doe" {
			t.Errorf("AdminGetUser %s: %v %v, want John.Doe", name, got, err)
		}
	}
}

// TestChangePasswordWithoutPrevious: PreviousPassword is optional in the
// service model; for a user who has a password, leaving it out is a wrong
// password, not a validation error.
func TestChangePasswordWithoutPrevious(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.add(t, emulator.SeedUser{Username: "u", Password: goodPW})
	out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", goodPW))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: out.AuthenticationResult.AccessToken, ProposedPassword: aws.String(otherPW)})
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
}
