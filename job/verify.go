package job

import (
	"context"
	"errors"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/sync/errgroup"

	"cogpass/cognito"
	"cogpass/pacing"
)

// Verdicts of a verification row.
const (
	VerdictMatch     = "match"     // Cognito shows the status the action leaves
	VerdictMismatch  = "mismatch"  // it shows another one
	VerdictError     = "error"     // the look-up failed (UserNotFoundException, ...)
	VerdictUnchecked = "unchecked" // the report names no user to look up
)

// VerifyRow is one succeeded report row to check.
type VerifyRow struct {
	Line      int
	Username  string
	Action    string
	SignedOut string
}

// VerifyResult is what Cognito shows for a VerifyRow.
type VerifyResult struct {
	VerifyRow
	Expected   string // the status the action leaves (TargetStatus)
	UserStatus string // the status Cognito shows now
	Verdict    string
	ErrorCode  string
	Message    string
}

// Verify looks up every row's user in pool, paced on the UserRead quota
// (cfg.ReadRate, or the default share of it) and retried as a job's calls
// are, and calls fn with each result, from one goroutine at a time, in no
// particular order. A job-fatal error (credentials, a missing pool) stops it
// and is returned as a *Fatal; rows not looked up by then get no result.
func Verify(ctx context.Context, cfg Config, api cognito.API, pool string, rows []VerifyRow, fn func(VerifyResult) error) error {
	if cfg.Command == "" {
		cfg.Command = Reset
	}
	if cfg.Rate == 0 {
		cfg.Rate = 1 // no write is made; validate wants a rate
	}
	r, err := newRunner(ctx, cfg, api)
	if err != nil {
		return err
	}
	defer r.close()
	workers := cfg.Concurrency
	if workers == 0 {
		workers = max(pacing.MinWorkers, pacing.Workers(r.read.Ceiling(), 200*time.Millisecond))
	}
	var mu sync.Mutex
	var fnErr error
	var g errgroup.Group
	g.SetLimit(workers)
	for _, row := range rows {
		if r.jobCtx.Err() != nil {
			break
		}
		g.Go(func() error {
			res, ok := r.verifyOne(pool, row)
			if !ok {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if fnErr == nil {
				if err := fn(res); err != nil {
					fnErr = err
					r.stop(&Fatal{Line: row.Line, Err: err})
				}
			}
			return nil
		})
	}
	g.Wait()
	if fnErr != nil {
		return &Fatal{Err: fnErr}
	}
	if cause := context.Cause(r.jobCtx); cause != nil && r.jobCtx.Err() != nil {
		var fatal *Fatal
		if errors.As(cause, &fatal) {
			return fatal
		}
		return &Fatal{Err: cause}
	}
	return nil
}

// verifyOne looks one user up; false when the job stopped first.
func (r *runner) verifyOne(pool string, row VerifyRow) (VerifyResult, bool) {
	res := VerifyResult{VerifyRow: row, Expected: TargetStatus(row.Action)}
	if row.Username == "" {
		res.Verdict = VerdictUnchecked
		res.Message = "the report names no user (a change row by access token only): nothing to look up"
		return res, true
	}
	var user *cip.AdminGetUserOutput
	cr := r.call(r.read, row.Line, func(ctx context.Context) error {
		var err error
		user, err = r.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool, Username: &row.Username})
		return err
	})
	if errors.Is(cr.err, errStopped) {
		return res, false
	}
	if cr.err != nil {
		res.Verdict, res.ErrorCode, res.Message = VerdictError, cr.code, cr.message
		return res, true
	}
	res.UserStatus = string(user.UserStatus)
	if res.UserStatus == res.Expected {
		res.Verdict = VerdictMatch
		return res, true
	}
	res.Verdict = VerdictMismatch
	res.Message = "Cognito shows " + res.UserStatus + ", the " + row.Action + " leaves " + res.Expected
	if user.UserLastModifiedDate != nil {
		res.Message += "; user last modified " + user.UserLastModifiedDate.UTC().Format("2006-01-02T15:04:05Z")
	}
	return res, true
}
