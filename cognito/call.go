// One paced, classified, retried call: the loop every caller of Cognito in
// cogpass shares (the job's rows, the export's pages, the policy's
// DescribeUserPool), so that they pace, retry and give up by one rule.

package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// Pacer is what Call asks of a pacer (*pacing.Controller is one): a wait
// before every attempt, and what the answer said of the quota.
type Pacer interface {
	// Wait blocks until the next call may go out, or ctx ends.
	Wait(ctx context.Context) error
	// Succeeded says an attempt got through: Cognito answered it.
	Succeeded()
	// Throttled says an attempt was refused by the quota.
	Throttled()
}

// Call is how one API call is made: paced by Pacer, classified, and retried
// with Backoff. Its function fields are where a caller plugs in its own
// counting and watching; a nil one does nothing (Classify and Message
// default to the package's own).
type Call struct {
	Pacer   Pacer
	Backoff Backoff // zero fields take DefaultBackoff's
	// CallContext, if set, is the context each attempt runs under, while
	// the pacer's waits and the backoff run under Do's ctx: a job that
	// stops takes no new attempt but lets the ones under way finish.
	CallContext context.Context
	// Classify, if set, replaces Classify (the job knows more of its own
	// contexts than the error does).
	Classify func(error) (Class, string)
	// Message, if set, replaces ErrorMessage for the result's message (the
	// job scrubs the row's passwords from it).
	Message func(error) string
	// Attempt, if set, is called as each attempt goes out; the function it
	// returns, if not nil, when the attempt's answer is in, with the
	// attempt's error (nil on success), its class and code, and how long
	// it took.
	Attempt func() func(err error, class Class, code string, took time.Duration)
	// Throttled, if set, is called for each attempt refused by the quota.
	Throttled func()
	// Retried, if set, is called for each attempt sent again after a
	// failure that was not a throttle.
	Retried func()
}

// Result is what a call came to after its retries.
type Result struct {
	Attempts int   // attempts made, the first included
	Err      error // nil on success; the last attempt's error, or the wait's
	Class    Class // Err's class (Permanent when Err is nil)
	Code     string
	// Message is Err in one line, without the SDK's envelope; "gave up
	// after N attempts: " before it when the retries ran out.
	Message string
	// Busy is the time spent in attempts, the waits and backoff left out.
	Busy time.Duration
	// Ambiguous is set once an attempt's answer was lost or unreadable
	// after the request went out (a Retryable failure): that attempt may
	// have been applied.
	Ambiguous bool
	// Stopped is set when Do's ctx ended in a pacer wait or a backoff,
	// before the call could finish: Err is the wait's error, Class Fatal
	// and Code CodeCanceled.
	Stopped bool
}

// Do makes fn's call. Every attempt, retries included, waits for the pacer
// first: a retry uses quota as the first attempt does. An answer from
// Cognito (a success, a permanent refusal, a cap, a pool's failing Lambda
// trigger, an InternalErrorException) tells the pacer that the call got
// through; a throttle tells it to slow down. Throttles, transient faults and
// pool-level failures are retried while Backoff allows (RetryClass); any
// other failure ends the call at once.
func (c Call) Do(ctx context.Context, fn func(context.Context) error) Result {
	classify, message := c.Classify, c.Message
	if classify == nil {
		classify = Classify
	}
	if message == nil {
		message = ErrorMessage
	}
	callCtx := c.CallContext
	if callCtx == nil {
		callCtx = ctx
	}
	var res Result
	stopped := func(err error) Result {
		res.Stopped, res.Err, res.Class, res.Code, res.Message = true, err, Fatal, CodeCanceled, ErrorMessage(err)
		return res
	}
	for {
		if err := c.Pacer.Wait(ctx); err != nil {
			return stopped(err)
		}
		res.Attempts++
		var done func(error, Class, string, time.Duration)
		if c.Attempt != nil {
			done = c.Attempt()
		}
		t0 := time.Now()
		err := fn(callCtx)
		took := time.Since(t0)
		res.Busy += took
		if err == nil {
			if done != nil {
				done(nil, Permanent, "", took)
			}
			c.Pacer.Succeeded()
			res.Err, res.Class, res.Code, res.Message = nil, Permanent, "", ""
			return res
		}
		class, code := classify(err)
		if done != nil {
			done(err, class, code, took)
		}
		res.Err, res.Class, res.Code, res.Message = err, class, code, message(err)
		if class == Retryable {
			res.Ambiguous = true
		}
		if class == Permanent || class == LimitExceeded || class == PoolLevel || code == "InternalErrorException" {
			// Cognito answered, and the answer used quota as a success
			// does: the pacer's measure of what gets through counts it.
			c.Pacer.Succeeded()
		}
		if class == Throttle {
			if c.Throttled != nil {
				c.Throttled()
			}
			c.Pacer.Throttled()
		}
		if !c.Backoff.RetryClass(class, res.Attempts) {
			if class.Retry() && res.Attempts > 1 {
				res.Message = fmt.Sprintf("gave up after %d attempts: %s", res.Attempts, res.Message)
			}
			return res
		}
		if class != Throttle && c.Retried != nil {
			// Counted only when the call is really sent again: with one
			// attempt allowed nothing is "retried after a fault".
			c.Retried()
		}
		if err := Sleep(ctx, c.Backoff.Delay(res.Attempts)); err != nil {
			return stopped(err)
		}
	}
}

// ErrorMessage is the error's message without the SDK's request envelope.
func ErrorMessage(err error) string {
	var api interface{ ErrorMessage() string }
	if errors.As(err, &api) && api.ErrorMessage() != "" {
		return api.ErrorMessage()
	}
	var op *smithy.OperationError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// CallError is an API call's failure in one line: the operation, the code
// and the message, without the SDK's envelope around them.
type CallError struct {
	Operation, Code, Message string
	Err                      error
}

func (e *CallError) Error() string {
	if e.Code == CodeCredentialsError {
		return e.Operation + ": no usable AWS credentials (the SDK looked in the environment, the shared config and credentials files, SSO and the instance role)"
	}
	if strings.Contains(e.Message, e.Code) {
		return e.Operation + ": " + e.Message
	}
	return e.Operation + ": " + e.Code + ": " + e.Message
}

func (e *CallError) Unwrap() error { return e.Err }
