package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito/quota"
	"cogpass/input"
	"cogpass/report"
)

// This file holds what an incident asks of a job: skipping users by status
// (--skip-status), a canary of the first rows (--limit), and signing users
// out after their write (--sign-out).

// SignOutAPI is the call --sign-out makes; the SDK client has it.
type SignOutAPI interface {
	AdminUserGlobalSignOut(context.Context, *cip.AdminUserGlobalSignOutInput, ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
}

// signOutOperation is the API operation --sign-out calls.
const signOutOperation = "AdminUserGlobalSignOut"

// CodeSignOutNotSent is the error code of a row whose write succeeded but
// whose sign-out was never sent, because the job stopped first. It is
// retryable: a resumed run sends the sign-out.
const CodeSignOutNotSent = "SignOutNotSent"

// TargetStatus is the status a user is in after the action succeeded, as
// Cognito documents it: AdminSetUserPassword with Permanent false leaves the
// user FORCE_CHANGE_PASSWORD, with Permanent true CONFIRMED;
// AdminResetUserPassword leaves RESET_REQUIRED; ChangePassword needs a
// signed-in (CONFIRMED) user and leaves it so.
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminSetUserPassword.html
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminResetUserPassword.html
func TargetStatus(action string) string {
	switch action {
	case ActionSetTemporary:
		return StatusForceChange
	case ActionSetPermanent, ActionChange:
		return StatusConfirmed
	case ActionReset:
		return StatusResetRequired
	}
	return ""
}

// setupIncident checks what the incident settings need of the client.
func (r *runner) setupIncident(api API) error {
	if !r.cfg.SignOut || r.cfg.DryRun {
		return nil
	}
	so, ok := api.(SignOutAPI)
	if !ok {
		return fmt.Errorf("--sign-out: the client cannot call %s", signOutOperation)
	}
	r.signOutAPI = so
	// A sign-out on the write's own quota category (set: both are
	// UserUpdate) shares the write's pacer, so that --rate bounds the two
	// together; on another category it has its own, at the default share.
	so1, _ := quota.Lookup(signOutOperation)
	w, _ := quota.Lookup(r.cfg.Command.Operation())
	if so1.Category == w.Category {
		r.signOutPacer = r.write
	} else {
		r.signOutPacer = r.newPacer(signOutOperation, 0)
	}
	return nil
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

// planSignOut adds the sign-out to a dry run's planned row.
func (r *runner) planSignOut(out *report.Row) {
	if r.cfg.SignOut && out.Outcome == report.Planned {
		out.Message += "; would sign the user out (AdminUserGlobalSignOut)"
	}
}

// signOut signs the user out after the row's successful write, filling the
// row's sign-out column and message. A failed sign-out fails the row with
// its code, and SignedOut false tells a resumed run that the write is done.
// The row is always finished, even when the job stops: without it a resumed
// run would write again.
func (r *runner) signOut(out *report.Row, row input.Row, poolID string) callResult {
	res := r.callOp(r.signOutPacer, signOutOperation, row.Line, func(ctx context.Context) error {
		_, err := r.signOutAPI.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: &row.Username})
		return err
	})
	done := writeDoneSentence(out.Action)
	if out.Outcome == report.Skipped {
		done = "" // the message already says why the write was skipped
	}
	switch {
	case res.err == nil:
		out.SignedOut = report.SignedOutYes
		out.Message = joinSentences(out.Message, "Signed out: AdminUserGlobalSignOut revoked the user's refresh and access tokens.")
	case errors.Is(res.err, errStopped):
		out.Outcome, out.ErrorCode, out.SignedOut = report.Failed, CodeSignOutNotSent, report.SignedOutNo
		out.Message = joinSentences(out.Message, done+" The job stopped before the sign-out: --resume sends only the sign-out.")
	default:
		out.Outcome, out.ErrorCode, out.SignedOut = report.Failed, res.code, report.SignedOutNo
		out.Message = joinSentences(out.Message, strings.TrimSpace(fmt.Sprintf("%s Sign-out failed: %s --resume sends only the sign-out.", done, strings.TrimSpace(res.message))))
	}
	return res
}

// signOutOnly is a resumed row whose write an earlier run made: only the
// sign-out is sent.
func (r *runner) signOutOnly(row input.Row, start time.Time) {
	out := report.Row{Line: row.Line, Username: row.Username, Action: r.action(row), Outcome: report.Succeeded}
	poolID := row.UserPoolID
	if poolID == "" {
		poolID = r.cfg.UserPoolID
	}
	out.Message = "An earlier run made the write (or skipped it by --skip-status); only the sign-out was sent."
	res := r.signOut(&out, row, poolID)
	if res.busy > 0 {
		r.latency.Observe(res.busy)
	}
	out.Attempts = res.attempts
	r.done(out, start)
}

func writeDoneSentence(action string) string {
	if action == ActionReset {
		return "The password was reset."
	}
	return "The password was set."
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	a = strings.TrimRight(a, " ")
	if !strings.HasSuffix(a, ".") {
		a += "."
	}
	return a + " " + b
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
