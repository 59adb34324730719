package job

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/input"
	"cogpass/report"
)

// Reset resets each user's password (AdminResetUserPassword): Cognito sends
// the user a code to choose a new one. No password is sent, so no pool's
// policy is read.
const Reset Command = "reset"

// ActionReset is reset's action, as the report names it.
const ActionReset = "reset"

type reset struct{}

func (reset) Operation() string { return "AdminResetUserPassword" }

func (reset) traits() traits { return traits{admin: true} }

func (reset) action(*Config, input.Row) string { return ActionReset }

func (reset) describe(bool) string { return "reset the passwords" }

func (reset) check(input.Row) *rowProblem { return nil }

func (reset) supplied(input.Row) string { return "" }

func (reset) plan(r *runner, out *report.Row, w *write, user *cip.AdminGetUserOutput) {
	would := "would reset the password (RESET_REQUIRED) and send a code"
	if user == nil {
		out.Message = would
		return
	}
	status := string(user.UserStatus)
	notes := userNotes(user)
	switch {
	case !user.Enabled:
		out.Outcome, out.ErrorCode = report.Failed, "NotAuthorizedException"
		out.Message = "would fail: User is disabled"
		return
	case status == cognito.StatusForceChangePassword:
		out.Outcome, out.ErrorCode = report.Failed, "NotAuthorizedException"
		out.Message = "would fail: Cognito cannot reset a user in FORCE_CHANGE_PASSWORD; set a new temporary password instead"
		return
	case !verifiedContact(user.UserAttributes):
		out.Outcome, out.ErrorCode = report.Failed, "InvalidParameterException"
		out.Message = "would fail: the user has no verified email or phone number to send the code to"
		return
	case status == cognito.StatusResetRequired:
		notes = append(notes, "already RESET_REQUIRED: a new code would be sent")
	}
	r.countResetMessage(w.poolID, user.UserAttributes)
	out.Message = planned(would, notes)
}

func (reset) send(ctx context.Context, r *runner, w *write) error {
	meta := r.cfg.ClientMetadata
	if w.row.ClientMetadata != nil {
		meta = w.row.ClientMetadata
	}
	_, err := r.api.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{
		UserPoolId:     &w.poolID,
		Username:       &w.row.Username,
		ClientMetadata: meta,
	})
	return err
}

// settle: no answer settles a reset and none needs to. A retried
// AdminResetUserPassword of a user the lost attempt already reset
// (RESET_REQUIRED) succeeds and sends a new code, which replaces the first;
// the user is in the same state either way.
func (reset) settle(*runner, *write, *callResult) settlement { return settleUnknown }

// target: AdminResetUserPassword leaves the user RESET_REQUIRED.
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminResetUserPassword.html
func (reset) target(action string) string {
	if action == ActionReset {
		return cognito.StatusResetRequired
	}
	return ""
}

// countResetMessage counts a reset code a real run would send by e-mail:
// Cognito sends it to a verified e-mail address, else by SMS.
func (r *runner) countResetMessage(poolID string, attrs []types.AttributeType) {
	for _, a := range attrs {
		if aws.ToString(a.Name) == "email_verified" && aws.ToString(a.Value) == "true" {
			r.stats.resetEmails.Add(1)
			if pool, err := r.pools.get(poolID); err == nil && pool.email == "COGNITO_DEFAULT" {
				r.stats.cognitoDefault.Store(true)
			}
			return
		}
	}
}

func verifiedContact(attrs []types.AttributeType) bool {
	for _, a := range attrs {
		name := aws.ToString(a.Name)
		if (name == "email_verified" || name == "phone_number_verified") && aws.ToString(a.Value) == "true" {
			return true
		}
	}
	return false
}
