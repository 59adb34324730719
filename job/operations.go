package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito/policy"
	"cogpass/input"
	"cogpass/report"
)

// User statuses as Cognito names them.
const (
	StatusForceChange      = "FORCE_CHANGE_PASSWORD"
	StatusConfirmed        = "CONFIRMED"
	StatusResetRequired    = "RESET_REQUIRED"
	StatusExternalProvider = "EXTERNAL_PROVIDER"
)

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
// one when generate is set and the row has none). errStopped means the job
// is stopping.
func (r *runner) prepare(row input.Row, generate bool) (prepared, *rowProblem, error) {
	var p prepared
	if r.cfg.Command == Change {
		// A token needs no pool; the pool, when known, only sets the policy
		// for generated passwords.
		// previous_password may be empty: PreviousPassword is "Required if
		// the user has a password. If the user has no password and only
		// signs in with passwordless authentication options, you can omit
		// this parameter" (API reference, ChangePassword; optional in the
		// service model). It is then sent as absent (see send), and a
		// user who has a password fails the row with Cognito's answer.
		if row.AccessToken == "" {
			return p, &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: change needs access_token", row.Line)}, nil
		}
	}
	p.poolID = row.UserPoolID
	if p.poolID == "" {
		p.poolID = r.cfg.UserPoolID
	}
	if p.poolID == "" && r.cfg.Command != Change && !r.cfg.Offline {
		return p, &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: no user pool: give --user-pool-id or a user_pool_id column", row.Line)}, nil
	}
	if region := input.PoolRegion(p.poolID); region != "" && r.cfg.Region != "" && region != r.cfg.Region {
		return p, &rowProblem{CodeInvalidManifestRow, fmt.Sprintf("line %d: user pool %s is in %s, and this job sends to %s: run the rows of each region as a job of their own", row.Line, p.poolID, region, r.cfg.Region)}, nil
	}
	if r.cfg.Command == Reset {
		return p, nil, nil
	}
	pool, err := r.pools.get(p.poolID)
	if err != nil {
		if errors.Is(err, errStopped) {
			return p, nil, err
		}
		code := "DescribeUserPool"
		if pe := (*poolError)(nil); errors.As(err, &pe) {
			code = pe.code
		}
		return p, &rowProblem{code, err.Error()}, nil
	}
	p.password = row.Password
	if r.cfg.Command == Change {
		p.password = row.ProposedPassword
	}
	if p.password != "" {
		if err := pool.policy.Check(p.password); err != nil {
			return p, &rowProblem{CodePasswordPolicy, fmt.Sprintf("line %d: checked before sending: %v", row.Line, err)}, nil
		}
		return p, nil, nil
	}
	if generate {
		if p.password, err = pool.gen.Generate(); err != nil {
			r.stop(&Fatal{Line: row.Line, Err: err})
			return p, nil, errStopped
		}
		p.generated = true
	}
	return p, nil, nil
}

// lookups says whether a write job looks every user up before writing it
// (to skip federated users).
func (c Config) lookups() bool {
	return !c.DryRun && c.Command != Change && (c.CheckFederated && !c.IncludeFederated || len(c.SkipStatus) > 0)
}

// process takes one valid manifest row to its report row.
func (r *runner) process(row input.Row) {
	start := time.Now()
	out := report.Row{Line: row.Line, Username: row.Username, Action: r.action(row)}
	if first, dup := r.cfg.Plan.duplicateOf(row.Line); dup {
		out.Outcome, out.ErrorCode = report.Failed, CodeDuplicateUser
		out.Message = fmt.Sprintf("line %d: the same user is on line %d, which is the one sent", row.Line, first)
		r.done(out, start)
		return
	}
	if r.cfg.SignOut && r.cfg.WriteDone != nil && r.cfg.WriteDone(row.Line) {
		r.signOutOnly(row, start)
		return
	}
	p, problem, err := r.prepare(row, !r.cfg.DryRun)
	if err != nil {
		return
	}
	if problem != nil {
		out.Outcome, out.ErrorCode, out.Message = report.Failed, problem.code, problem.message
		r.done(out, start)
		return
	}
	poolID, password, generated := p.poolID, p.password, p.generated
	if r.cfg.DryRun && r.cfg.Command != Reset && password == "" {
		generated = true
	}

	// A look-up first, when the job needs the user's state: a dry run
	// reports it, and a write skips federated users.
	lookup := r.cfg.DryRun && !r.cfg.Offline || r.cfg.lookups()
	var user *cip.AdminGetUserOutput
	// busy is the row's time in calls: by Little's law the workers needed
	// are the rate times it, since a row holds its worker for every call.
	var busy time.Duration
	defer func() {
		if busy > 0 {
			r.latency.Observe(busy)
		}
	}()
	if msg, gone := r.poolGone(poolID); gone {
		out.Outcome, out.ErrorCode, out.Message = report.Failed, codePoolNotFound, msg
		r.done(out, start)
		return
	}
	if lookup {
		var res callResult
		res = r.call(r.read, row.Line, r.perPool(poolID, func(ctx context.Context) error {
			var err error
			user, err = r.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: &row.Username})
			return err
		}))
		// attempts counts the write calls; a look-up counts only when it is
		// the row's one call (a dry run) or its end.
		out.Attempts = res.attempts
		busy += res.busy
		if errors.Is(res.err, errStopped) {
			return
		}
		if res.err != nil {
			out.Outcome, out.ErrorCode, out.Message = report.Failed, res.code, res.message
			if r.cfg.DryRun {
				out.Message = "would fail: " + res.message
			}
			r.done(out, start)
			return
		}
		out.UserStatus = string(user.UserStatus)
		if user.UserStatus == StatusExternalProvider && !r.cfg.IncludeFederated {
			out.Outcome, out.ErrorCode = report.Skipped, CodeFederatedUser
			out.Message = "federated user (EXTERNAL_PROVIDER): its password lives with the identity provider; --include-federated sends it anyway"
			r.done(out, start)
			return
		}
		// Cognito answered with the user's own username, whatever alias,
		// sub or letter case the row named it by: a user already sent by
		// another row is not sent again.
		if first, dup := r.resolvedTwice(row, poolID, aws.ToString(user.Username)); dup {
			out.Outcome, out.ErrorCode = report.Failed, CodeDuplicateUser
			out.Message = duplicateMessage(row.Line, first, aws.ToString(user.Username), r.cfg.DryRun)
			r.done(out, start)
			return
		}
		if r.skipByStatus(&out, user) {
			if r.cfg.SignOut && !r.cfg.DryRun {
				busy += r.signOut(&out, row, poolID).busy
			}
			r.done(out, start)
			return
		}
	}

	if r.cfg.DryRun {
		r.plan(&out, row, poolID, user, generated)
		r.planSignOut(&out)
		r.done(out, start)
		return
	}

	// An earlier run may have sent this row and died before recording
	// its outcome: reuse the password it recorded as pending, so that a
	// write it applied is recognised instead of guessed at.
	password, reused, inFlight := r.resumed(row, password, generated)
	if generated && !reused {
		// On disk before the call: whatever happens to the answer or to
		// this process, the password that may be set is recorded.
		if err := r.recordPending(row, password); err != nil {
			r.stop(&Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)})
			return // no report row: nothing was sent, a resumed run sends it
		}
	}
	defer r.rowSecrets.add(row.Line, password, row.PreviousPassword)()
	res := r.call(r.write, row.Line, r.perPool(poolID, func(ctx context.Context) error {
		return r.send(ctx, row, poolID, out.Action, password)
	}))
	out.Attempts = res.attempts
	busy += res.busy
	if errors.Is(res.err, errStopped) {
		return
	}
	r.writeAnswered(row.Line, res.code)
	if res.err != nil {
		switch r.settle(row, &res, password, res.ambiguous || inFlight) {
		case settleStopped:
			return
		case settleApplied:
			out.Attempts = res.attempts
			out.Message = "applied by an earlier attempt, whose answer was lost: " + scrub(res.message, password, row.PreviousPassword)
		case settleUnknown:
			out.Attempts = res.attempts
			out.Outcome, out.ErrorCode = report.Failed, res.code
			out.Message = "may have been applied (an earlier answer was lost)"
			if generated {
				out.Message += "; the password is in the secrets file as pending"
			}
			out.Message += ": " + scrub(res.message, password, row.PreviousPassword)
			r.done(out, start)
			return
		default: // refused: the user keeps the password it had
			out.Attempts = res.attempts
			out.Outcome, out.ErrorCode = report.Failed, res.code
			out.Message = scrub(res.message, password, row.PreviousPassword)
			if generated {
				if err := r.recordRefused(row); err != nil {
					r.stop(&Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)})
				}
			}
			r.done(out, start)
			return
		}
	}
	if generated {
		// The password is recorded as applied before the row: a crash
		// between the two leaves it applied with no report row, and the
		// resumed run settles the row with the same password.
		if err := r.secrets.Write(row.Line, row.Username, password); err != nil {
			r.stop(&Fatal{Line: row.Line, Err: fmt.Errorf("write secrets: %w", err)})
			out.Outcome, out.ErrorCode = report.Failed, "SecretsWriteFailed"
			out.Message = "the password was set but could not be saved: set it again"
			r.done(out, start)
			return
		}
	}
	out.Outcome = report.Succeeded
	switch out.Action {
	case ActionSetTemporary:
		out.UserStatus = StatusForceChange
	case ActionSetPermanent, ActionChange:
		out.UserStatus = StatusConfirmed
	case ActionReset:
		out.UserStatus = StatusResetRequired
	}
	if r.cfg.SignOut {
		busy += r.signOut(&out, row, poolID).busy
	}
	r.done(out, start)
}

func (r *runner) done(out report.Row, start time.Time) {
	out.DurationMS = time.Since(start).Milliseconds()
	r.finish(out)
}

// send makes the row's write call.
func (r *runner) send(ctx context.Context, row input.Row, poolID, action, password string) error {
	switch r.cfg.Command {
	case Set:
		_, err := r.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: &poolID,
			Username:   &row.Username,
			Password:   &password,
			Permanent:  action == ActionSetPermanent,
		})
		return err
	case Reset:
		meta := r.cfg.ClientMetadata
		if row.ClientMetadata != nil {
			meta = row.ClientMetadata
		}
		_, err := r.api.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{
			UserPoolId:     &poolID,
			Username:       &row.Username,
			ClientMetadata: meta,
		})
		return err
	default:
		_, err := r.api.ChangePassword(ctx, &cip.ChangePasswordInput{
			AccessToken:      &row.AccessToken,
			PreviousPassword: optional(row.PreviousPassword),
			ProposedPassword: &password,
		})
		return err
	}
}

// plan fills a dry run's row: what the real run would do to this user, or
// why it would fail.
func (r *runner) plan(out *report.Row, row input.Row, poolID string, user *cip.AdminGetUserOutput, generated bool) {
	out.Outcome = report.Planned
	pw := "the supplied password"
	if generated {
		pw = "a generated password"
	}
	var would string
	switch out.Action {
	case ActionSetTemporary:
		would = "would set " + pw + " as temporary (FORCE_CHANGE_PASSWORD)"
	case ActionSetPermanent:
		would = "would set " + pw + " as permanent (CONFIRMED)"
	case ActionReset:
		would = "would reset the password (RESET_REQUIRED) and send a code"
	case ActionChange:
		would = "would change the password with the access token"
	}
	if user == nil {
		out.Message = would
		return
	}
	status := string(user.UserStatus)
	notes := []string{"user is " + status}
	if !user.Enabled {
		notes = append(notes, "disabled")
	}
	if out.Action == ActionReset {
		switch {
		case !user.Enabled:
			out.Outcome, out.ErrorCode = report.Failed, "NotAuthorizedException"
			out.Message = "would fail: User is disabled"
			return
		case status == StatusForceChange:
			out.Outcome, out.ErrorCode = report.Failed, "NotAuthorizedException"
			out.Message = "would fail: Cognito cannot reset a user in FORCE_CHANGE_PASSWORD; set a new temporary password instead"
			return
		case !verifiedContact(user.UserAttributes):
			out.Outcome, out.ErrorCode = report.Failed, "InvalidParameterException"
			out.Message = "would fail: the user has no verified email or phone number to send the code to"
			return
		case status == StatusResetRequired:
			notes = append(notes, "already RESET_REQUIRED: a new code would be sent")
		}
		r.countResetMessage(poolID, user.UserAttributes)
	}
	if out.Action == ActionSetTemporary && status == StatusForceChange {
		notes = append(notes, "already FORCE_CHANGE_PASSWORD: the temporary password would be replaced")
	}
	if row.Password != "" && r.cfg.Command == Set {
		if pool, err := r.pools.get(poolID); err == nil && pool.policy.PasswordHistorySize > 0 {
			notes = append(notes, fmt.Sprintf("the pool keeps a password history of %d, which only Cognito can check", pool.policy.PasswordHistorySize))
		}
	}
	out.Message = would + "; " + strings.Join(notes, ", ")
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

// pool is what the job knows of one user pool.
type pool struct {
	policy policy.Policy
	gen    *policy.Generator
	email  string // EmailSendingAccount
	// caseSensitive is the pool's username case rule (identity.go).
	caseSensitive bool
}

// pools reads each pool's policy once, on first use, however many workers
// ask at once.
type pools struct {
	r  *runner
	mu sync.Mutex
	m  map[string]*poolEntry
}

type poolEntry struct {
	once sync.Once
	p    *pool
	err  error
}

func (ps *pools) get(id string) (*pool, error) {
	ps.mu.Lock()
	if ps.m == nil {
		ps.m = make(map[string]*poolEntry)
	}
	e, ok := ps.m[id]
	if !ok {
		e = &poolEntry{}
		ps.m[id] = e
	}
	ps.mu.Unlock()
	e.once.Do(func() { e.p, e.err = ps.r.loadPool(id) })
	if errors.Is(e.err, errStopped) {
		// Not cached: a later run asks again.
		return nil, errStopped
	}
	return e.p, e.err
}

func (r *runner) loadPool(id string) (*pool, error) {
	p := &pool{caseSensitive: true}
	switch {
	case r.cfg.Policy != nil:
		p.policy = *r.cfg.Policy
	case r.cfg.Offline || id == "":
		// No pool to ask (an offline check, or a change with tokens only):
		// Cognito's default policy, all four classes, which a generated
		// password of 16 characters satisfies in any pool whose minimum is
		// not longer.
		p.policy = policy.Default()
	default:
		var out *cip.DescribeUserPoolOutput
		res := r.call(r.meta, 0, r.perPool(id, func(ctx context.Context) error {
			var err error
			out, err = r.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &id})
			return err
		}))
		if res.err != nil {
			if errors.Is(res.err, errStopped) {
				return nil, errStopped
			}
			// A pool that cannot be read is a fatal condition for a job
			// with one pool; with a pool per row it fails that pool's rows.
			if id == r.cfg.UserPoolID {
				r.stop(&Fatal{Code: res.code, Err: fmt.Errorf("read the password policy of pool %s: %s: %s", id, res.code, res.message)})
				return nil, errStopped
			}
			return nil, &poolError{code: res.code, err: fmt.Errorf("read the password policy of pool %s: %s: %s", id, res.code, res.message)}
		}
		p.policy, p.email = PolicyFromPool(out.UserPool)
		p.caseSensitive = PoolCaseSensitive(out.UserPool)
	}
	gen, err := policy.NewGenerator(p.policy, r.cfg.PasswordLength)
	if err == nil && r.cfg.PasswordSymbols != nil {
		gen, err = gen.WithSymbols(*r.cfg.PasswordSymbols)
	}
	if err != nil {
		r.stop(&Fatal{Err: fmt.Errorf("pool %s: %w", id, err)})
		return nil, errStopped
	}
	p.gen = gen
	return p, nil
}

// PolicyFromPool reads the password policy and e-mail sender of a pool as
// DescribeUserPool returns it.
func PolicyFromPool(up *types.UserPoolType) (policy.Policy, string) {
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

// optional is a pointer to s, or nil when s is empty: an empty optional
// field is sent as absent, not as "" (which the API's constraints refuse).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
