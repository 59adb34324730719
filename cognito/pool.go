package cognito

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito/policy"
)

// What a pool's settings, as DescribeUserPool returns them, mean for
// cogpass: the password policy and e-mail sender, the username case rule,
// and how long a temporary password stays valid.

// PoolPolicy reads the password policy and e-mail sender of a pool as
// DescribeUserPool returns it. A pool without a password policy has
// Cognito's default (policy.Default), and one without an e-mail setting
// Cognito's own sender, COGNITO_DEFAULT.
func PoolPolicy(up *types.UserPoolType) (policy.Policy, string) {
	var p policy.Policy
	var email string
	if up == nil {
		return policy.Default(), ""
	}
	if up.Policies != nil && up.Policies.PasswordPolicy != nil {
		pp := up.Policies.PasswordPolicy
		p = policy.Policy{
			MinimumLength:                 int(aws.ToInt32(pp.MinimumLength)),
			RequireUppercase:              pp.RequireUppercase,
			RequireLowercase:              pp.RequireLowercase,
			RequireNumbers:                pp.RequireNumbers,
			RequireSymbols:                pp.RequireSymbols,
			TemporaryPasswordValidityDays: int(pp.TemporaryPasswordValidityDays),
			PasswordHistorySize:           int(aws.ToInt32(pp.PasswordHistorySize)),
		}
	} else {
		p = policy.Default()
	}
	if up.EmailConfiguration != nil {
		email = string(up.EmailConfiguration.EmailSendingAccount)
	}
	if email == "" {
		email = "COGNITO_DEFAULT"
	}
	return p, email
}

// CaseSensitive reads a pool's username case rule as DescribeUserPool
// returns it: nil (no UsernameConfiguration, or no CaseSensitive) is
// case-sensitive.
//
// The case rule is the pool's UsernameConfiguration.CaseSensitive. The API
// reference gives true ("users must sign in using the exact capitalization
// of their given username") as the default value, and a pool made before
// the setting existed has no UsernameConfiguration at all, so a missing
// setting means case-sensitive:
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UsernameConfigurationType.html
// With false, Cognito folds the case of the username and of the
// preferred_username and email aliases.
func CaseSensitive(up *types.UserPoolType) bool {
	if up == nil || up.UsernameConfiguration == nil || up.UsernameConfiguration.CaseSensitive == nil {
		return true
	}
	return *up.UsernameConfiguration.CaseSensitive
}

// defaultTemporaryValidityDays is Cognito's default
// TemporaryPasswordValidityDays.
const defaultTemporaryValidityDays = 7

// TemporaryValidity is how long the pool's temporary passwords stay valid,
// in days, and which setting says so: TemporaryPasswordValidityDays, or for
// pools created before it existed the legacy
// AdminCreateUserConfig.UnusedAccountValidityDays, or Cognito's default.
func TemporaryValidity(p *types.UserPoolType) (int, string) {
	if p != nil && p.Policies != nil && p.Policies.PasswordPolicy != nil && p.Policies.PasswordPolicy.TemporaryPasswordValidityDays > 0 {
		return int(p.Policies.PasswordPolicy.TemporaryPasswordValidityDays), "TemporaryPasswordValidityDays"
	}
	if p != nil && p.AdminCreateUserConfig != nil && p.AdminCreateUserConfig.UnusedAccountValidityDays > 0 {
		return int(p.AdminCreateUserConfig.UnusedAccountValidityDays), "AdminCreateUserConfig.UnusedAccountValidityDays"
	}
	return defaultTemporaryValidityDays, "Cognito's default"
}
