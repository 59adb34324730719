package job

import (
	"context"
	"fmt"
	"sync"

	"cogpass/cognito"
)

// poolLevelStop is how many rows in a row, answered with the same
// pool-level code (the pool's Lambda trigger failed: cognito.PoolLevel),
// stop the job. One is a row's problem (a trigger that refuses one user);
// five in a row is the trigger, and every later row would fail the same
// way while spending the account's shared quota.
const poolLevelStop = 5

// poolLevelStreak counts the rows in a row whose write call was answered
// with one pool-level code. Any other answer to a write (success included)
// ends the streak.
type poolLevelStreak struct {
	mu   sync.Mutex
	code string
	n    int
}

// writeAnswered tells the breakers how a row's write call ended: code is
// the error code, "" for a success. It returns the *Fatal that stops the
// job when the pool-level streak reaches poolLevelStop; the rows of the
// streak are failed rows with a code that is not final, so --resume sends
// them again.
func (r *runner) writeAnswered(line int, code string) *Fatal {
	s := &r.poolLevel
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" || !cognito.PoolLevelCode(code) {
		s.code, s.n = "", 0
		return nil
	}
	if code != s.code {
		s.code, s.n = code, 0
	}
	s.n++
	if s.n == poolLevelStop {
		return &Fatal{Line: line, Code: code, Err: fmt.Errorf(
			"%d rows in a row failed with %s: the pool's Lambda trigger (the custom message or custom sender trigger %s runs) is failing, not the rows; fix the trigger (its CloudWatch logs say why), then resume",
			poolLevelStop, code, r.op.Operation())}
	}
	return nil
}

// codePoolNotFound is Cognito's answer for a pool that does not exist.
const codePoolNotFound = "ResourceNotFoundException"

// poolNotFound marks a ResourceNotFoundException for a pool that is one of
// several in the manifest (a user_pool_id column): it fails that pool's
// rows, and the job goes on with the other pools. For the job's only pool
// (--user-pool-id) it stays job-fatal. Its code is not final, so --resume
// sends the rows again once the pool is right.
type poolNotFound struct {
	pool string
	err  error
}

func (e *poolNotFound) Error() string { return e.err.Error() }
func (e *poolNotFound) Unwrap() error { return e.err }

// perPool wraps a call to poolID so that the pool not existing fails the
// row, not the job, when the pool is not the job's own.
func (r *runner) perPool(poolID string, fn func(context.Context) error) func(context.Context) error {
	if poolID == r.cfg.UserPoolID {
		return fn
	}
	return func(ctx context.Context) error {
		err := fn(ctx)
		if _, code := cognito.Classify(err); err != nil && code == codePoolNotFound {
			r.gonePools.Store(poolID, scrub(cognito.ErrorMessage(err), r.rowSecrets.all()...))
			return &poolNotFound{pool: poolID, err: err}
		}
		return err
	}
}

// poolGone says whether an earlier row found poolID missing, and what
// Cognito said: the pool's later rows fail without a call.
func (r *runner) poolGone(poolID string) (string, bool) {
	msg, ok := r.gonePools.Load(poolID)
	if !ok {
		return "", false
	}
	return msg.(string), true
}

// poolError is a pool that could not be read, with Cognito's code.
type poolError struct {
	code string
	err  error
}

func (e *poolError) Error() string { return e.err.Error() }
func (e *poolError) Unwrap() error { return e.err }

// noteReached records whether a call may have reached a pool: it was
// answered with anything but ResourceNotFoundException (a success, a
// user's error, a throttle), or one of its attempts went out and got no
// readable answer. A job stopped by its pool's ResourceNotFoundException
// before any call reached a pool (a mistyped --user-pool-id) changed
// nothing anywhere; Session.Run then removes the job's files, so that the
// corrected run needs no --resume (exit 2, as set's preflight has it).
func (r *runner) noteReached(cr cognito.Result) {
	if cr.Attempts > 0 && (cr.Ambiguous || cr.Code != codePoolNotFound) {
		r.reached.Store(true)
	}
}
