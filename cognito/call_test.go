package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"
)

// countingPacer is a Pacer that never waits and counts what it is told.
type countingPacer struct {
	waits, succeeded, throttled int
	// stopAt, when > 0, makes the stopAt-th wait fail as a stopped job's.
	stopAt int
}

func (p *countingPacer) Wait(ctx context.Context) error {
	p.waits++
	if p.stopAt > 0 && p.waits >= p.stopAt {
		return context.Canceled
	}
	return ctx.Err()
}
func (p *countingPacer) Succeeded() { p.succeeded++ }
func (p *countingPacer) Throttled() { p.throttled++ }

func apiError(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

// answers is a call that fails with errs in turn, then succeeds.
func answers(errs ...error) (func(context.Context) error, *int) {
	n := 0
	return func(context.Context) error {
		n++
		if n <= len(errs) {
			return errs[n-1]
		}
		return nil
	}, &n
}

var quickBackoff = Backoff{Base: time.Millisecond, Cap: 10 * time.Millisecond, MaxAttempts: 4}

// TestCallAnswersGotThrough: every answer of Cognito's that used quota as a
// success does tells the pacer the call got through; a throttle tells it
// to slow down. The job did this alone before Call: the export's listing
// and the policy's DescribeUserPool never counted a permanent answer.
func TestCallAnswersGotThrough(t *testing.T) {
	for _, tc := range []struct {
		err                  error
		attempts             int
		succeeded, throttled int
	}{
		{nil, 1, 1, 0},
		{apiError("UserNotFoundException", "m"), 1, 1, 0},
		{apiError("LimitExceededException", "m"), 1, 1, 0},
		{apiError("UserLambdaValidationException", "m"), PoolLevelAttempts, PoolLevelAttempts, 0},
		{apiError("InternalErrorException", "m"), 4, 4, 0},
		{apiError("ServiceUnavailable", "m"), 4, 0, 0},
		{apiError("TooManyRequestsException", "m"), 4, 0, 4},
		{apiError("ResourceNotFoundException", "m"), 1, 0, 0},
	} {
		name := "success"
		if tc.err != nil {
			_, name = Classify(tc.err)
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &countingPacer{}
				fn := func(context.Context) error { return tc.err }
				res := Call{Pacer: p, Backoff: quickBackoff}.Do(t.Context(), fn)
				if res.Attempts != tc.attempts || p.waits != tc.attempts {
					t.Errorf("%d attempts, %d pacer waits; want %d of each", res.Attempts, p.waits, tc.attempts)
				}
				if p.succeeded != tc.succeeded || p.throttled != tc.throttled {
					t.Errorf("pacer told succeeded %d, throttled %d; want %d, %d", p.succeeded, p.throttled, tc.succeeded, tc.throttled)
				}
				if !errors.Is(res.Err, tc.err) || (tc.err == nil) != (res.Err == nil) {
					t.Errorf("err %v, want %v", res.Err, tc.err)
				}
			})
		})
	}
}

// TestCallResult: what the call came to, with the hooks' counts.
func TestCallResult(t *testing.T) {
	run := func(name string, f func(*testing.T)) {
		t.Run(name, func(t *testing.T) { synctest.Test(t, f) })
	}
	run("retried to success", func(t *testing.T) {
		fn, n := answers(apiError("TooManyRequestsException", "slow"), apiError("InternalErrorException", "oops"))
		var throttled, retried int
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff,
			Throttled: func() { throttled++ }, Retried: func() { retried++ }}.Do(t.Context(), fn)
		if res.Err != nil || res.Code != "" || res.Message != "" || res.Attempts != 3 || *n != 3 {
			t.Errorf("result %+v after %d calls, want a success at the third", res, *n)
		}
		if throttled != 1 || retried != 1 {
			t.Errorf("throttled %d, retried %d; want 1, 1", throttled, retried)
		}
		if !res.Ambiguous {
			t.Error("an InternalErrorException on the way: want ambiguous")
		}
	})
	run("gave up", func(t *testing.T) {
		fn, _ := answers(apiError("InternalErrorException", "a"), apiError("InternalErrorException", "b"),
			apiError("InternalErrorException", "c"), apiError("InternalErrorException", "d"))
		var retried int
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff, Retried: func() { retried++ }}.Do(t.Context(), fn)
		if res.Attempts != 4 || res.Class != Retryable || res.Code != "InternalErrorException" || res.Message != "gave up after 4 attempts: d" {
			t.Errorf("result %+v, want 4 attempts and gave up with d", res)
		}
		if retried != 3 {
			t.Errorf("retried %d, want 3 (the last failure is not resent)", retried)
		}
	})
	run("one attempt allowed", func(t *testing.T) {
		fn, _ := answers(apiError("InternalErrorException", "a"))
		var retried int
		res := Call{Pacer: &countingPacer{}, Backoff: Backoff{MaxAttempts: 1}, Retried: func() { retried++ }}.Do(t.Context(), fn)
		if res.Attempts != 1 || res.Message != "a" || retried != 0 {
			t.Errorf("result %+v, retried %d; want one attempt, message a, none retried", res, retried)
		}
	})
	run("permanent after throttles", func(t *testing.T) {
		fn, _ := answers(apiError("TooManyRequestsException", "slow"), apiError("UserNotFoundException", "User does not exist."))
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff}.Do(t.Context(), fn)
		if res.Attempts != 2 || res.Class != Permanent || res.Message != "User does not exist." || res.Ambiguous {
			t.Errorf("result %+v, want the permanent answer as is at attempt 2", res)
		}
	})
	run("message hook", func(t *testing.T) {
		fn, _ := answers(apiError("InvalidPasswordException", "secret123 is too short"))
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff, Message: func(err error) string {
			return strings.ReplaceAll(ErrorMessage(err), "secret123", "***")
		}}.Do(t.Context(), fn)
		if res.Message != "*** is too short" {
			t.Errorf("message %q", res.Message)
		}
	})
	run("classify hook", func(t *testing.T) {
		fn, n := answers(apiError("UserNotFoundException", "m"))
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff, Classify: func(err error) (Class, string) {
			return Retryable, "Mine"
		}}.Do(t.Context(), fn)
		if res.Err != nil || *n != 2 {
			t.Errorf("result %+v after %d calls: the caller's class should have retried it", res, *n)
		}
	})
}

// TestCallAttemptHook: the hook brackets every attempt and hears its answer.
func TestCallAttemptHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn, _ := answers(apiError("TooManyRequestsException", "slow"), sendErr(errors.New("connection reset by peer")))
		var log []string
		open := 0
		attempt := func() func(error, Class, string, time.Duration) {
			open++
			return func(err error, class Class, code string, took time.Duration) {
				open--
				log = append(log, fmt.Sprintf("%v %s %s", err != nil, class, code))
			}
		}
		res := Call{Pacer: &countingPacer{}, Backoff: quickBackoff, Attempt: attempt}.Do(t.Context(), fn)
		if res.Err != nil || open != 0 {
			t.Fatalf("result %+v, %d attempts left open", res, open)
		}
		want := "true throttle TooManyRequestsException|true retryable NetworkError|false permanent "
		if got := strings.Join(log, "|"); got != want {
			t.Errorf("attempts heard\n%s\nwant\n%s", got, want)
		}
	})
}

// TestCallContexts: the attempt runs under CallContext, the waits under
// Do's context; a stop in a wait ends the call as Stopped.
func TestCallContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		callCtx := context.WithValue(context.Background(), key{}, "call")
		ctx, cancel := context.WithCancel(t.Context())
		var got any
		res := Call{Pacer: &countingPacer{}, Backoff: Backoff{Base: time.Hour, Cap: time.Hour, MaxAttempts: 3}, CallContext: callCtx}.Do(ctx, func(ctx context.Context) error {
			got = ctx.Value(key{})
			cancel() // the job stops while the attempt is out
			return apiError("InternalErrorException", "oops")
		})
		if got != "call" {
			t.Errorf("the attempt ran under %v, want CallContext", got)
		}
		if !res.Stopped || res.Attempts != 1 || res.Class != Fatal || res.Code != CodeCanceled || !errors.Is(res.Err, context.Canceled) {
			t.Errorf("result %+v, want stopped in the backoff after one attempt", res)
		}
		if !res.Ambiguous {
			t.Error("the attempt's answer was an InternalErrorException: still ambiguous")
		}
	})
	t.Run("stopped in the pacer", func(t *testing.T) {
		p := &countingPacer{stopAt: 2}
		fn, n := answers(apiError("TooManyRequestsException", "slow"))
		res := Call{Pacer: p, Backoff: Backoff{Base: time.Nanosecond, Cap: time.Nanosecond, MaxAttempts: 3}}.Do(t.Context(), fn)
		if !res.Stopped || res.Attempts != 1 || *n != 1 || res.Code != CodeCanceled {
			t.Errorf("result %+v after %d calls, want stopped before the second attempt", res, *n)
		}
	})
}

// TestCallError: one line, the code once.
func TestCallError(t *testing.T) {
	for _, tc := range []struct {
		e    CallError
		want string
	}{
		{CallError{Operation: "AdminSetUserPassword", Code: "ResourceNotFoundException", Message: "User pool x does not exist."},
			"AdminSetUserPassword: ResourceNotFoundException: User pool x does not exist."},
		{CallError{Operation: "AdminGetUser", Code: "HTTP403", Message: "HTTP403 from the proxy"},
			"AdminGetUser: HTTP403 from the proxy"},
		{CallError{Operation: "DescribeUserPool", Code: CodeCredentialsError, Message: "a chain of providers"},
			"DescribeUserPool: no usable AWS credentials (the SDK looked in the environment, the shared config and credentials files, SSO and the instance role)"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	inner := errors.New("inner")
	if !errors.Is(&CallError{Err: inner}, inner) {
		t.Error("CallError does not unwrap to its error")
	}
}

// TestErrorMessage: the API's message, else the operation error's cause
// without the SDK's envelope.
func TestErrorMessage(t *testing.T) {
	if got := ErrorMessage(sdkWrap(400, apiError("UserNotFoundException", "User does not exist."))); got != "User does not exist." {
		t.Errorf("API error: %q", got)
	}
	if got := ErrorMessage(sendErr(errors.New("dial tcp: refused"))); !strings.Contains(got, "dial tcp: refused") || strings.Contains(got, "operation error") {
		t.Errorf("send error: %q", got)
	}
	if got := ErrorMessage(errors.New("plain")); got != "plain" {
		t.Errorf("plain error: %q", got)
	}
}
