package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/input"
	"cogpass/report"
)

// The sign-out of an incident (--sign-out): after a row's successful write
// (set, reset), AdminUserGlobalSignOut revokes the user's refresh tokens and
// access tokens. It is the same row's second call, reported in the row's
// sign-out column; a resumed run whose earlier run made the write sends only
// the sign-out (signOutOnly).

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

// signOut is the sign-out as an operation. It follows a write, so it takes
// that write's action, sends no password, and has nothing to settle: a
// sign-out sent twice revokes the same tokens.
type signOut struct{}

func (signOut) Operation() string { return signOutOperation }

func (signOut) traits() traits { return traits{admin: true} }

func (signOut) action(cfg *Config, row input.Row) string {
	return operations[cfg.Command].action(cfg, row)
}

func (signOut) describe(bool) string { return "sign the users out" }

func (signOut) check(input.Row) *rowProblem { return nil }

func (signOut) supplied(input.Row) string { return "" }

// plan adds the sign-out to a dry run's planned row.
func (signOut) plan(_ *runner, out *report.Row, _ *write, _ *cip.AdminGetUserOutput) {
	if out.Outcome == report.Planned {
		out.Message += "; would sign the user out (AdminUserGlobalSignOut)"
	}
}

func (signOut) send(ctx context.Context, r *runner, w *write) error {
	_, err := r.signOutAPI.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &w.poolID, Username: &w.row.Username})
	return err
}

func (signOut) settle(*runner, *write, *callResult) settlement { return settleRefused }

// target: a sign-out leaves the user's status as it was.
func (signOut) target(string) string { return "" }

// setupSignOut checks that the client can sign users out, and picks the
// sign-out's pacer.
func (r *runner) setupSignOut(api cognito.API) error {
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
	w, _ := quota.Lookup(r.op.Operation())
	if so1.Category == w.Category {
		r.signOutPacer = r.write
	} else {
		r.signOutPacer = r.newPacer(signOutOperation, 0)
	}
	return nil
}

// planSignOut adds the sign-out to a dry run's planned row.
func (r *runner) planSignOut(out *report.Row) {
	if r.cfg.SignOut {
		signOut{}.plan(r, out, nil, nil)
	}
}

// signOut signs the user out after the row's successful write, filling the
// row's sign-out column and message. A failed sign-out fails the row with
// its code, and SignedOut false tells a resumed run that the write is done.
// The row is always finished, even when the job stops: without it a resumed
// run would write again. A *Fatal the sign-out met is in the result's
// fatal, for the caller to return once the row is finished.
func (r *runner) signOut(out *report.Row, row input.Row, poolID string) callResult {
	w := &write{row: row, poolID: poolID, action: out.Action}
	res := r.callOp(r.signOutPacer, signOutOperation, row.Line, func(ctx context.Context) error {
		return signOut{}.send(ctx, r, w)
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
func (r *runner) signOutOnly(row input.Row, start time.Time) *Fatal {
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
	return firstFatal(res.fatal, r.done(out, start))
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
