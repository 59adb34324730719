package cognito

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito/policy"
)

// TestPoolPolicy: the pool's password policy field by field, its e-mail
// sender; Cognito's defaults where the pool says nothing.
func TestPoolPolicy(t *testing.T) {
	up := &types.UserPoolType{
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireUppercase: true, RequireNumbers: true,
			TemporaryPasswordValidityDays: 3, PasswordHistorySize: aws.Int32(5),
		}},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper},
	}
	p, email := PoolPolicy(up)
	want := policy.Policy{MinimumLength: 12, RequireUppercase: true, RequireNumbers: true, TemporaryPasswordValidityDays: 3, PasswordHistorySize: 5}
	if p != want || email != "DEVELOPER" {
		t.Errorf("got %+v, %q\nwant %+v, DEVELOPER", p, email, want)
	}
	if p, email := PoolPolicy(&types.UserPoolType{}); p != policy.Default() || email != "COGNITO_DEFAULT" {
		t.Errorf("a pool that says nothing: %+v, %q; want the default policy and COGNITO_DEFAULT", p, email)
	}
	if p, email := PoolPolicy(nil); p != policy.Default() || email != "" {
		t.Errorf("no pool: %+v, %q; want the default policy and no sender", p, email)
	}
}

// TestCaseSensitive: a pool without the setting is case-sensitive (the API
// reference's default).
func TestCaseSensitive(t *testing.T) {
	for _, tc := range []struct {
		up   *types.UserPoolType
		want bool
	}{
		{nil, true},
		{&types.UserPoolType{}, true},
		{&types.UserPoolType{UsernameConfiguration: &types.UsernameConfigurationType{}}, true},
		{&types.UserPoolType{UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(true)}}, true},
		{&types.UserPoolType{UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}}, false},
	} {
		if got := CaseSensitive(tc.up); got != tc.want {
			t.Errorf("CaseSensitive(%+v) = %v, want %v", tc.up, got, tc.want)
		}
	}
}

func TestTemporaryValidityDays(t *testing.T) {
	pool := func(tempDays, legacyDays int32) *types.UserPoolType {
		return &types.UserPoolType{
			Policies:              &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8), TemporaryPasswordValidityDays: tempDays}},
			AdminCreateUserConfig: &types.AdminCreateUserConfigType{UnusedAccountValidityDays: legacyDays},
		}
	}
	tests := []struct {
		name     string
		pool     *types.UserPoolType
		want     int
		wantFrom string
	}{
		{"the password policy's setting", pool(3, 9), 3, "TemporaryPasswordValidityDays"},
		{"a pool with only the legacy setting", pool(0, 9), 9, "AdminCreateUserConfig.UnusedAccountValidityDays"},
		{"neither: Cognito's default", pool(0, 0), 7, "Cognito's default"},
		{"no policies at all", &types.UserPoolType{}, 7, "Cognito's default"},
		{"no pool", nil, 7, "Cognito's default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := TemporaryValidity(tt.pool)
			if got != tt.want || from != tt.wantFrom {
				t.Errorf("got %d from %s, want %d from %s", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}
