// Package quota holds the one table that maps Cognito user pool operations to
// their request-rate quota categories and default rates. The job paces its calls
// with it and the emulator throttles with it, so a correction is one line here.
package quota

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Category is a Cognito request-rate quota category, as named on the
// Service Quotas console and in Cognito's developer guide.
type Category string

const (
	UserAccountRecovery Category = "UserAccountRecovery"
	UserUpdate          Category = "UserUpdate"
	UserRead            Category = "UserRead"
	UserList            Category = "UserList"
	UserPoolRead        Category = "UserPoolRead"
	UserAuthentication  Category = "UserAuthentication"
	UserCreation        Category = "UserCreation"
)

// DefaultRPS is Cognito's default request rate per category, per account and
// region, shared by every pool and by the production app.
var DefaultRPS = map[Category]float64{
	UserAccountRecovery: 30,
	UserUpdate:          25,
	UserRead:            120,
	UserList:            30,
	UserPoolRead:        15,
	UserAuthentication:  120,
	UserCreation:        50,
}

// Op is one operation's place in the quota table.
type Op struct {
	Category Category
	// Cost is the share of one request that a call uses. Cognito gives
	// RespondToAuthChallenge three times the UserAuthentication rate, which
	// is the same as a third of a request each.
	Cost float64
}

// Operations maps an API operation name to its category. Operations that are
// not listed (pool and client management) are not paced or throttled.
//
// AdminSetUserPassword is in UserAccountRecovery: Cognito's quota table
// (developer guide, "Quotas in Amazon Cognito",
// https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html)
// describes that category as the operations that "recover a user's account
// or change or update a user's password", and UserUpdate as those that
// manage users and their attributes. A set job thus shares one bucket with
// reset jobs and with the app's ForgotPassword, ConfirmForgotPassword and
// ChangePassword.
var Operations = map[string]Op{
	"AdminSetUserPassword":        {UserAccountRecovery, 1},
	"AdminResetUserPassword":      {UserAccountRecovery, 1},
	"ChangePassword":              {UserAccountRecovery, 1},
	"ForgotPassword":              {UserAccountRecovery, 1},
	"ConfirmForgotPassword":       {UserAccountRecovery, 1},
	"AdminDisableUser":            {UserUpdate, 1},
	"AdminEnableUser":             {UserUpdate, 1},
	"AdminUserGlobalSignOut":      {UserUpdate, 1}, // revokes a user's tokens: UserUpdate, "operations that customers use to manage users and user attributes" (developer guide, Quotas in Amazon Cognito)
	"AdminUpdateUserAttributes":   {UserUpdate, 1},
	"AdminGetUser":                {UserRead, 1},
	"ListUsers":                   {UserList, 1},
	"DescribeUserPool":            {UserPoolRead, 1},
	"AdminInitiateAuth":           {UserAuthentication, 1},
	"InitiateAuth":                {UserAuthentication, 1},
	"RespondToAuthChallenge":      {UserAuthentication, 1.0 / 3},
	"AdminRespondToAuthChallenge": {UserAuthentication, 1.0 / 3},
	"AdminCreateUser":             {UserCreation, 1},
	"SignUp":                      {UserCreation, 1},
}

// DefaultShare is the part of a category's default quota that cogpass uses
// when --rate is not given: the rest is headroom for the production app,
// whose sign-ins and password recoveries draw on the same account quota.
const DefaultShare = 0.8

// DefaultRate is the rate, in calls per second, that cogpass paces
// operation at when no rate is given: DefaultShare of its category's
// default quota. An operation no category names is not paced: 0, which the
// pacer takes for no ceiling. Every operation cogpass calls costs one
// request, so the rate is in calls and in requests alike.
func DefaultRate(operation string) float64 {
	op, ok := Lookup(operation)
	if !ok {
		return 0
	}
	return DefaultRPS[op.Category] * DefaultShare
}

// Lookup returns the operation's category and whether it is paced at all.
func Lookup(operation string) (Op, bool) {
	op, ok := Operations[operation]
	return op, ok
}

// Rates is a per-category request rate. A category that is absent is not
// limited.
type Rates map[Category]float64

// Defaults returns a fresh copy of DefaultRPS.
func Defaults() Rates {
	r := make(Rates, len(DefaultRPS))
	for c, v := range DefaultRPS {
		r[c] = v
	}
	return r
}

// ParseSpec parses the emulator's --quota flag: "default", "off", or
// "CATEGORY=RPS[,CATEGORY=RPS...]" (named categories override the defaults,
// the rest keep them; RPS 0 or "off" switches one category off).
func ParseSpec(spec string) (Rates, error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", "default":
		return Defaults(), nil
	case "off":
		return Rates{}, nil
	}
	rates := Defaults()
	for _, part := range strings.Split(spec, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("quota %q: want CATEGORY=RPS", part)
		}
		cat, err := ParseCategory(name)
		if err != nil {
			return nil, err
		}
		if value == "off" {
			delete(rates, cat)
			continue
		}
		rps, err := strconv.ParseFloat(value, 64)
		if err != nil || rps < 0 {
			return nil, fmt.Errorf("quota %s=%s: want a rate of 0 or more requests per second", name, value)
		}
		if rps == 0 {
			delete(rates, cat)
			continue
		}
		rates[cat] = rps
	}
	return rates, nil
}

// ParseCategory accepts a category name in any letter case.
func ParseCategory(name string) (Category, error) {
	for c := range DefaultRPS {
		if strings.EqualFold(string(c), strings.TrimSpace(name)) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown quota category %q (known: %s)", name, strings.Join(CategoryNames(), ", "))
}

// CategoryNames lists the known categories, sorted.
func CategoryNames() []string {
	names := make([]string, 0, len(DefaultRPS))
	for c := range DefaultRPS {
		names = append(names, string(c))
	}
	sort.Strings(names)
	return names
}
