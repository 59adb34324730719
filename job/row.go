package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/input"
	"cogpass/report"
)

// A row's flow, the same for every operation: prepare (checks that need no
// call, the pool's policy, the password) -> look-up (AdminGetUser, when the
// job needs the user's state) -> plan (a dry run) or send (the write) ->
// settle (an answer lost in flight) -> the secrets file -> sign-out -> one
// report row. Where the operations differ, the flow asks r.op (operation.go).

// prepared is a row that passed every check cogpass can make before a
// call: its pool and the password to send.
type prepared struct {
	poolID    string
	password  string
	generated bool
}

// rowProblem is why a row cannot be sent, found before any write.
type rowProblem struct {
	code, message string
}

// prepare checks a valid manifest row and picks its password (generating
// one when generate is set and the row has none). An error is errStopped
// (the job is stopping) or the *Fatal that stops it.
func (r *runner) prepare(row input.Row, generate bool) (prepared, *rowProblem, error) {
	var p prepared
	if problem := r.op.check(row); problem != nil {
		return p, problem, nil
	}
	p.poolID = row.UserPoolID
	if p.poolID == "" {
		p.poolID = r.cfg.UserPoolID
	}
	if p.poolID == "" && r.op.traits().admin && !r.cfg.Offline {
		return p, &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: no user pool: give --user-pool-id or a user_pool_id column", row.Line)}, nil
	}
	if region := input.PoolRegion(p.poolID); region != "" && r.cfg.Region != "" && region != r.cfg.Region {
		return p, &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: user pool %s is in %s, and this job sends to %s: run the rows of each region as a job of their own", row.Line, p.poolID, region, r.cfg.Region)}, nil
	}
	if !r.op.traits().password {
		return p, nil, nil
	}
	pool, err := r.pools.get(p.poolID)
	if err != nil {
		if errors.Is(err, errStopped) || errors.As(err, new(*Fatal)) {
			return p, nil, err
		}
		code := "DescribeUserPool"
		if pe := (*poolError)(nil); errors.As(err, &pe) {
			code = pe.code
		}
		return p, &rowProblem{code, err.Error()}, nil
	}
	p.password = r.op.supplied(row)
	if p.password != "" {
		if err := pool.policy.Check(p.password); err != nil {
			return p, &rowProblem{CodePasswordPolicy, fmt.Sprintf("line %d: checked before sending: %v", row.Line, err)}, nil
		}
		return p, nil, nil
	}
	if generate {
		if p.password, err = pool.gen.Generate(); err != nil {
			return p, nil, &Fatal{Line: row.Line, Err: err}
		}
		p.generated = true
	}
	return p, nil, nil
}

// lookups says whether a write job looks every user up before writing it
// (to skip federated users, or users by status).
func (c Config) lookups() bool {
	return !c.DryRun && c.Command.traits().admin && (c.CheckFederated && !c.IncludeFederated || len(c.SkipStatus) > 0)
}

// process takes one valid manifest row to its report row. It returns the
// *Fatal the row met, which stops the job, once the row is where it must be:
// with its report row, or with none when it was not sent (a resumed run
// sends it).
func (r *runner) process(row input.Row) *Fatal {
	start := time.Now()
	out := report.Row{Line: row.Line, Username: row.Username, Action: r.action(row)}
	if first, dup := r.cfg.Plan.duplicateOf(row.Line); dup {
		out.Outcome, out.ErrorCode = report.Failed, CodeDuplicateUser
		out.Message = fmt.Sprintf("line %d: the same user is on line %d, which is the one sent", row.Line, first)
		return r.done(out, start)
	}
	if r.cfg.SignOut && r.cfg.WriteDone != nil && r.cfg.WriteDone(row.Line) {
		return r.signOutOnly(row, start)
	}

	// Prepare.
	p, problem, err := r.prepare(row, !r.cfg.DryRun)
	if err != nil {
		var fatal *Fatal
		errors.As(err, &fatal)
		return fatal
	}
	if problem != nil {
		out.Outcome, out.ErrorCode, out.Message = report.Failed, problem.code, problem.message
		return r.done(out, start)
	}
	w := &write{row: row, poolID: p.poolID, action: out.Action, password: p.password, generated: p.generated}
	if r.cfg.DryRun && r.op.traits().password && w.password == "" {
		w.generated = true
	}
	// busy is the row's time in calls: by Little's law the workers needed
	// are the rate times it, since a row holds its worker for every call.
	var busy time.Duration
	defer func() {
		if busy > 0 {
			r.latency.Observe(busy)
		}
	}()
	if msg, gone := r.poolGone(w.poolID); gone {
		out.Outcome, out.ErrorCode, out.Message = report.Failed, codePoolNotFound, msg
		return r.done(out, start)
	}

	// Look-up, when the job needs the user's state: a dry run of an Admin*
	// operation reports it, and a write skips federated users, and users by
	// status. A change row names its user by access token, with no pool to
	// look it up in: its dry run plans without a call.
	var user *cip.AdminGetUserOutput
	if r.cfg.DryRun && !r.cfg.Offline && r.op.traits().admin || r.cfg.lookups() {
		res := r.call(r.read, row.Line, r.perPool(w.poolID, func(ctx context.Context) error {
			var err error
			user, err = r.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &w.poolID, Username: &row.Username})
			return err
		}))
		// attempts counts the write calls; a look-up counts only when it is
		// the row's one call (a dry run) or its end.
		out.Attempts = res.attempts
		busy += res.busy
		if errors.Is(res.err, errStopped) {
			return res.fatal
		}
		if res.err != nil {
			out.Outcome, out.ErrorCode, out.Message = report.Failed, res.code, res.message
			if r.cfg.DryRun {
				out.Message = "would fail: " + res.message
			}
			return firstFatal(res.fatal, r.done(out, start))
		}
		out.UserStatus = string(user.UserStatus)
		if string(user.UserStatus) == cognito.StatusExternalProvider && !r.cfg.IncludeFederated {
			out.Outcome, out.ErrorCode = report.Skipped, CodeFederatedUser
			out.Message = "federated user (EXTERNAL_PROVIDER): its password lives with the identity provider; --include-federated sends it anyway"
			return r.done(out, start)
		}
		// Cognito answered with the user's own username, whatever alias,
		// sub or letter case the row named it by: a user already sent by
		// another row is not sent again.
		if first, dup := r.resolvedTwice(row, w.poolID, aws.ToString(user.Username)); dup {
			out.Outcome, out.ErrorCode = report.Failed, CodeDuplicateUser
			out.Message = duplicateMessage(row.Line, first, aws.ToString(user.Username), r.cfg.DryRun)
			return r.done(out, start)
		}
		if r.skipByStatus(&out, user) {
			var so callResult
			if r.cfg.SignOut && !r.cfg.DryRun {
				so = r.signOut(&out, row, w.poolID)
				busy += so.busy
			}
			return firstFatal(so.fatal, r.done(out, start))
		}
	}

	// Plan: a dry run stops here.
	if r.cfg.DryRun {
		out.Outcome = report.Planned
		r.op.plan(r, &out, w, user)
		r.planSignOut(&out)
		return r.done(out, start)
	}

	// Send. An earlier run may have sent this row and died before recording
	// its outcome: reuse the password it recorded as pending, so that a
	// write it applied is recognised instead of guessed at.
	var reused, inFlight bool
	w.password, reused, inFlight = r.resumed(row, w.password, w.generated)
	if w.generated && !reused {
		// On disk before the call: whatever happens to the answer or to
		// this process, the password that may be set is recorded.
		if err := r.recordPending(row, w.password); err != nil {
			// No report row: nothing was sent, a resumed run sends it.
			return &Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)}
		}
	}
	defer r.rowSecrets.add(row.Line, w.password, row.PreviousPassword)()
	res := r.call(r.write, row.Line, r.perPool(w.poolID, func(ctx context.Context) error {
		return r.op.send(ctx, r, w)
	}))
	out.Attempts = res.attempts
	busy += res.busy
	if errors.Is(res.err, errStopped) {
		return res.fatal
	}
	// A fatal the call met (a run of LimitExceededException), or the
	// breakers' (a pool-level run), stops the job once the row is finished.
	fatal := firstFatal(res.fatal, r.writeAnswered(row.Line, res.code))

	// Settle a failed write.
	if res.err != nil {
		switch r.settle(w, &res, res.ambiguous || inFlight) {
		case settleStopped:
			return firstFatal(fatal, res.fatal)
		case settleApplied:
			out.Attempts = res.attempts
			out.Message = "applied by an earlier attempt, whose answer was lost: " + scrub(res.message, w.password, row.PreviousPassword)
		case settleUnknown:
			out.Attempts = res.attempts
			out.Outcome, out.ErrorCode = report.Failed, res.code
			out.Message = "may have been applied (an earlier answer was lost)"
			if w.generated {
				out.Message += "; the password is in the secrets file as pending"
			}
			out.Message += ": " + scrub(res.message, w.password, row.PreviousPassword)
			return firstFatal(fatal, res.fatal, r.done(out, start))
		default: // refused: the user keeps the password it had
			out.Attempts = res.attempts
			out.Outcome, out.ErrorCode = report.Failed, res.code
			out.Message = scrub(res.message, w.password, row.PreviousPassword)
			if w.generated {
				if err := r.recordRefused(row); err != nil {
					fatal = firstFatal(fatal, res.fatal, &Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)})
				}
			}
			return firstFatal(fatal, res.fatal, r.done(out, start))
		}
	}

	// The secrets file.
	if w.generated {
		// The password is recorded as applied before the row: a crash
		// between the two leaves it applied with no report row, and the
		// resumed run settles the row with the same password.
		if err := r.secrets.Write(row.Line, row.Username, w.password); err != nil {
			fatal = firstFatal(fatal, res.fatal, &Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)})
			out.Outcome, out.ErrorCode = report.Failed, "SecretsWriteFailed"
			out.Message = "the password was set but could not be saved: set it again"
			return firstFatal(fatal, r.done(out, start))
		}
	}
	out.Outcome = report.Succeeded
	out.UserStatus = r.op.target(out.Action)

	// Sign-out, then the report row.
	if r.cfg.SignOut {
		so := r.signOut(&out, row, w.poolID)
		busy += so.busy
		fatal = firstFatal(fatal, res.fatal, so.fatal)
	}
	return firstFatal(fatal, res.fatal, r.done(out, start))
}

// done finishes the row (finish), timed from start.
func (r *runner) done(out report.Row, start time.Time) *Fatal {
	out.DurationMS = time.Since(start).Milliseconds()
	return r.finish(out)
}

// action is the row's action as the report names it.
func (r *runner) action(row input.Row) string {
	return r.op.action(&r.cfg, row)
}

// passwordKind says which password a planned write would send.
func passwordKind(generated bool) string {
	if generated {
		return "a generated password"
	}
	return "the supplied password"
}

// userNotes are what a dry run says of every looked-up user.
func userNotes(user *cip.AdminGetUserOutput) []string {
	notes := []string{"user is " + string(user.UserStatus)}
	if !user.Enabled {
		notes = append(notes, "disabled")
	}
	return notes
}

// planned is a planned row's message: what the write would do, then what
// the look-up found.
func planned(would string, notes []string) string {
	return would + "; " + strings.Join(notes, ", ")
}
