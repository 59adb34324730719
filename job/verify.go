package job

import (
	"context"
	"errors"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

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
	// fnErr is fn's first failure: fn is not called again, and it outranks
	// the error that stopped the look-ups, as a failed report write does.
	var fnErr error
	// The workers are in the runner's group: one that meets a job-fatal
	// error returns it, which ends jobCtx; the others take no new row.
	queue := make(chan VerifyRow)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		r.group.Go(func() error {
			defer wg.Done()
			for row := range queue {
				if r.jobCtx.Err() != nil {
					continue
				}
				res, ok, fatal := r.verifyOne(pool, row)
				if ok {
					mu.Lock()
					if fnErr == nil {
						if err := fn(res); err != nil {
							fnErr = err
							fatal = firstFatal(fatal, &Fatal{Line: row.Line, Err: err})
						}
					}
					mu.Unlock()
				}
				if fatal != nil {
					return fatal
				}
			}
			return nil
		})
	}
feed:
	for _, row := range rows {
		select {
		case queue <- row:
		case <-r.jobCtx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	r.endWatch()
	stopErr := r.group.Wait()
	if fnErr != nil {
		return &Fatal{Err: fnErr}
	}
	if stopErr != nil || ctx.Err() != nil {
		return r.stopped()
	}
	return nil
}

// verifyOne looks one user up; false when the job stopped first. A *Fatal
// the look-up met stops the job.
func (r *runner) verifyOne(pool string, row VerifyRow) (VerifyResult, bool, *Fatal) {
	res := VerifyResult{VerifyRow: row, Expected: TargetStatus(row.Action)}
	if row.Username == "" {
		res.Verdict = VerdictUnchecked
		res.Message = "the report names no user (a change row by access token only): nothing to look up"
		return res, true, nil
	}
	var user *cip.AdminGetUserOutput
	cr := r.call(r.read, row.Line, func(ctx context.Context) error {
		var err error
		user, err = r.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool, Username: &row.Username})
		return err
	})
	if errors.Is(cr.err, errStopped) {
		return res, false, cr.fatal
	}
	if cr.err != nil {
		res.Verdict, res.ErrorCode, res.Message = VerdictError, cr.code, cr.message
		return res, true, cr.fatal
	}
	res.UserStatus = string(user.UserStatus)
	if res.UserStatus == res.Expected {
		res.Verdict = VerdictMatch
		return res, true, nil
	}
	res.Verdict = VerdictMismatch
	res.Message = "Cognito shows " + res.UserStatus + ", the " + row.Action + " leaves " + res.Expected
	if user.UserLastModifiedDate != nil {
		res.Message += "; user last modified " + user.UserLastModifiedDate.UTC().Format("2006-01-02T15:04:05Z")
	}
	return res, true, nil
}
