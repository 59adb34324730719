package job

import (
	"slices"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/report"
)

// This file holds what an incident asks of a job: skipping users by status
// (--skip-status) and a canary of the first rows (--limit). Signing users
// out after their write (--sign-out) is in signout.go.

// TargetStatus is the status a user is in after the action succeeded, as
// Cognito documents it: AdminSetUserPassword with Permanent false leaves the
// user FORCE_CHANGE_PASSWORD, with Permanent true CONFIRMED;
// AdminResetUserPassword leaves RESET_REQUIRED; ChangePassword needs a
// signed-in (CONFIRMED) user and leaves it so.
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminSetUserPassword.html
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminResetUserPassword.html
func TargetStatus(action string) string {
	for _, op := range operations {
		if status := op.target(action); status != "" {
			return status
		}
	}
	return ""
}

// skipByStatus turns the row into a skipped one when the looked-up user's
// status is one --skip-status names. In a dry run it also counts the users
// already in the target state of their action. With --sign-out the caller
// still signs a skipped user out: a user already RESET_REQUIRED may still
// hold the sessions an incident must end.
func (r *runner) skipByStatus(out *report.Row, user *cip.AdminGetUserOutput) bool {
	status := string(user.UserStatus)
	if r.cfg.DryRun && status == TargetStatus(out.Action) {
		r.stats.inTargetState.Add(1)
	}
	if !slices.Contains(r.cfg.SkipStatus, status) {
		return false
	}
	out.Outcome = report.Skipped
	out.Message = "user is " + status + "; --skip-status"
	if r.cfg.DryRun {
		out.Message = "would skip: " + out.Message
		if r.cfg.SignOut {
			out.Message += "; would still sign the user out (AdminUserGlobalSignOut)"
		}
	}
	return true
}

// feedLimit says whether --limit stops the feed before the next row: once
// the limit's count of rows was taken, the next row that would be sent
// marks the limit as reached.
func (r *runner) feedLimit(queued int64) bool {
	if r.cfg.Limit > 0 && queued >= r.cfg.Limit {
		r.limitReached.Store(true)
		return true
	}
	return false
}

// incidentSummary adds the incident settings' numbers to the summary.
func (r *runner) incidentSummary(sum *Summary) {
	if r.cfg.DryRun {
		sum.InTargetState = r.stats.inTargetState.Load()
	}
	if r.limitReached.Load() {
		sum.LimitReached = r.cfg.Limit
	}
}
