package job

import (
	"errors"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"cogpass/cognito"
	"cogpass/input"
)

// An attempt whose answer never arrived or could not be read after the
// request went out (a timeout, a connection reset or EOF, an HTTP 5xx, an
// HTTP 200 whose body is cut or unreadable) is ambiguous: Cognito may have
// applied it. The row is retried with the same password, and a later answer
// that only makes sense if the write was applied settles it. Which answer
// does is the operation's (the settle method of set.go, reset.go and
// change.go).

// pendingWriter is a secrets writer that can also record a password before
// the call that sets it, and that the call refused it (*report.Secrets).
type pendingWriter interface {
	Pending(line int, username, password string) error
	Refused(line int, username string) error
}

// recordPending writes the row's password as pending before its call.
func (r *runner) recordPending(row input.Row, password string) error {
	if p, ok := r.secrets.(pendingWriter); ok {
		return p.Pending(row.Line, row.Username, password)
	}
	return nil
}

// recordRefused marks the row's pending password as never set.
func (r *runner) recordRefused(row input.Row) error {
	if p, ok := r.secrets.(pendingWriter); ok {
		return p.Refused(row.Line, row.Username)
	}
	return nil
}

// resumed says whether an earlier run of the job may have sent the row
// without recording its outcome (inFlight), and, when that run recorded a
// pending password for it, returns that password to send again (reused).
func (r *runner) resumed(row input.Row, password string, generated bool) (pw string, reused, inFlight bool) {
	if r.cfg.InFlight == nil || !r.cfg.InFlight(row.Line) {
		return password, false, false
	}
	if generated && r.cfg.Pending != nil {
		if p, ok := r.cfg.Pending(row.Line); ok {
			return p, true, true
		}
	}
	return password, false, true
}

// settlement is what a failed write came to once ambiguity is considered.
type settlement int

const (
	settleRefused settlement = iota // Cognito refused it: nothing was set
	settleApplied                   // an earlier attempt (or run) applied it
	settleUnknown                   // it may have been applied
	settleStopped                   // the job stopped while settling
)

// settle decides a failed write whose earlier attempt, or an earlier run,
// may have been applied (maybe). A settling call's attempts are added to
// res.
func (r *runner) settle(w *write, res *callResult, maybe bool) settlement {
	if !maybe {
		return settleRefused
	}
	return r.op.settle(r, w, res)
}

// classify is cognito.Classify for the job's calls. The HTTP client's own
// timeout, when it fires while the answer's body is read, reaches us as a
// bare deadline error (net/http's "Client.Timeout or context cancellation
// while reading body"), which Classify takes for the end of the caller's
// context, a job-fatal condition. While the job's own contexts are alive it
// is not ours: it is that attempt's timeout, an ambiguous outcome of the row.
//
// And a success status whose body cannot be decoded (an HTML page from a
// proxy, a cut body) tells nothing of the call's outcome: Classify fails
// the row by its status (HTTP200, permanent), but it is ambiguous too.
func (r *runner) classify(err error) (cognito.Class, string) {
	class, code := cognito.Classify(err)
	if class == cognito.Fatal && code == cognito.CodeDeadlineExceeded &&
		r.callCtx.Err() == nil && r.jobCtx.Err() == nil {
		return cognito.Retryable, cognito.CodeTimeout
	}
	var decode *smithy.DeserializationError
	var resp *smithyhttp.ResponseError
	if class == cognito.Permanent && errors.As(err, &decode) && errors.As(err, &resp) &&
		resp.HTTPStatusCode() >= 200 && resp.HTTPStatusCode() < 300 {
		return cognito.Retryable, code
	}
	return class, code
}
