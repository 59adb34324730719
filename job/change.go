package job

import (
	"context"
	"errors"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/input"
	"cogpass/report"
)

// Change changes each user's password with the user's own access token
// (ChangePassword), to a proposed password supplied by the row or
// generated. A token names the user: no pool is needed, and none is looked
// up; the pool, when known, only sets the policy for generated passwords.
const Change Command = "change"

// ActionChange is change's action, as the report names it.
const ActionChange = "change"

type change struct{}

func (change) Operation() string { return "ChangePassword" }

func (change) traits() traits { return traits{password: true} }

func (change) action(*Config, input.Row) string { return ActionChange }

func (change) describe(bool) string { return "change the passwords" }

// check: previous_password may be empty: PreviousPassword is "Required if
// the user has a password. If the user has no password and only signs in
// with passwordless authentication options, you can omit this parameter"
// (API reference, ChangePassword; optional in the service model). It is then
// sent as absent (see send), and a user who has a password fails the row
// with Cognito's answer.
func (change) check(row input.Row) *rowProblem {
	if row.AccessToken == "" {
		return &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: change needs access_token", row.Line)}
	}
	return nil
}

func (change) supplied(row input.Row) string { return row.ProposedPassword }

// plan: a dry run of change makes no call for the row (an access token
// names the user, not a pool: nothing to look up, and the only call that
// checks a token and a previous password is the change itself). What it
// checked is the row's token and, in prepare, the proposed password against
// the policy of --user-pool-id, or Cognito's default policy without one.
func (change) plan(_ *runner, out *report.Row, w *write, _ *cip.AdminGetUserOutput) {
	out.Message = "would change the password to " + passwordKind(w.generated) + " with the access token; the token is checked by the real run only"
}

func (change) send(ctx context.Context, r *runner, w *write) error {
	_, err := r.api.ChangePassword(ctx, &cip.ChangePasswordInput{
		AccessToken:      &w.row.AccessToken,
		PreviousPassword: optional(w.row.PreviousPassword),
		ProposedPassword: &w.password,
	})
	return err
}

// settle: NotAuthorizedException (the previous password no longer works)
// alone proves nothing (a revoked token, a password someone else changed),
// so cogpass asks Cognito: ChangePassword with the proposed password as both
// previous and proposed. Success, or PasswordHistoryPolicyViolationException
// (the pool keeps a history and the proposed password is its latest entry),
// means the proposed password is the user's: the row succeeded.
// NotAuthorizedException again means it is not: the row failed. Cognito's
// API reference, ChangePassword: its NotAuthorizedException covers an
// incorrect previous password, and PasswordHistoryPolicyViolationException
// is "The message returned when a user's new password matches a previous
// password and doesn't comply with the password-history policy".
func (change) settle(r *runner, w *write, res *callResult) settlement {
	if res.code != "NotAuthorizedException" {
		return settleUnknown
	}
	check := r.call(r.write, w.row.Line, func(ctx context.Context) error {
		_, err := r.api.ChangePassword(ctx, &cip.ChangePasswordInput{
			AccessToken:      &w.row.AccessToken,
			PreviousPassword: &w.password,
			ProposedPassword: &w.password,
		})
		return err
	})
	res.attempts += check.attempts
	res.busy += check.busy
	if res.fatal == nil {
		res.fatal = check.fatal
	}
	switch {
	case errors.Is(check.err, errStopped):
		return settleStopped
	case check.err == nil || check.code == "PasswordHistoryPolicyViolationException":
		return settleApplied
	case check.code == "NotAuthorizedException":
		res.message = "neither the previous nor the proposed password is accepted: " + res.message
		return settleRefused
	}
	return settleUnknown
}

// target: ChangePassword needs a signed-in (CONFIRMED) user and leaves it
// so.
func (change) target(action string) string {
	if action == ActionChange {
		return cognito.StatusConfirmed
	}
	return ""
}

// optional is a pointer to s, or nil when s is empty: an empty optional
// field is sent as absent, not as "" (which the API's constraints refuse).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
