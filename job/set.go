package job

import (
	"context"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/input"
	"cogpass/report"
)

// Set sets each user's password (AdminSetUserPassword), temporary or
// permanent, supplied by the row or generated.
const Set Command = "set"

// The actions of set, as the report names them.
const (
	ActionSetTemporary = "set-temporary"
	ActionSetPermanent = "set-permanent"
)

type set struct{}

func (set) Operation() string { return "AdminSetUserPassword" }

func (set) traits() traits { return traits{admin: true, password: true} }

func (set) action(cfg *Config, row input.Row) string {
	if cfg.Permanent || (row.Permanent != nil && *row.Permanent) {
		return ActionSetPermanent
	}
	return ActionSetTemporary
}

func (set) describe(permanent bool) string {
	if permanent {
		return "set permanent passwords"
	}
	return "set temporary passwords"
}

func (set) check(input.Row) *rowProblem { return nil }

func (set) supplied(row input.Row) string { return row.Password }

func (set) plan(r *runner, out *report.Row, w *write, user *cip.AdminGetUserOutput) {
	would := "would set " + passwordKind(w.generated) + " as temporary (FORCE_CHANGE_PASSWORD)"
	if out.Action == ActionSetPermanent {
		would = "would set " + passwordKind(w.generated) + " as permanent (CONFIRMED)"
	}
	if user == nil {
		out.Message = would
		return
	}
	notes := userNotes(user)
	if out.Action == ActionSetTemporary && string(user.UserStatus) == cognito.StatusForceChangePassword {
		notes = append(notes, "already FORCE_CHANGE_PASSWORD: the temporary password would be replaced")
	}
	if w.row.Password != "" {
		if pool, err := r.pools.get(w.poolID); err == nil && pool.policy.PasswordHistorySize > 0 {
			notes = append(notes, fmt.Sprintf("the pool keeps a password history of %d, which only Cognito can check", pool.policy.PasswordHistorySize))
		}
	}
	out.Message = planned(would, notes)
}

func (set) send(ctx context.Context, r *runner, w *write) error {
	_, err := r.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &w.poolID,
		Username:   &w.row.Username,
		Password:   &w.password,
		Permanent:  w.action == ActionSetPermanent,
	})
	return err
}

// settle: PasswordHistoryPolicyViolationException for the same password
// settles a lost answer as applied. A generated password is random, so it
// is in the user's history only because the earlier attempt set it. (A
// supplied password the user had before would give the same answer; cogpass
// cannot tell the two apart and takes the row as applied.) Cognito's API
// reference, AdminSetUserPassword, lists
// PasswordHistoryPolicyViolationException: "The message returned when a
// user's new password matches a previous password and doesn't comply with
// the password-history policy".
func (set) settle(_ *runner, _ *write, res *callResult) settlement {
	if res.code == "PasswordHistoryPolicyViolationException" {
		return settleApplied
	}
	return settleUnknown
}

// target: AdminSetUserPassword with Permanent false leaves the user
// FORCE_CHANGE_PASSWORD, with Permanent true CONFIRMED.
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminSetUserPassword.html
func (set) target(action string) string {
	switch action {
	case ActionSetTemporary:
		return cognito.StatusForceChangePassword
	case ActionSetPermanent:
		return cognito.StatusConfirmed
	}
	return ""
}
