// Error classes: what the job does with a failed call — retry it,
// slow down, fail the row, or stop the job — and how long to wait before the
// next attempt. The job owns retries: the SDK's own retryer is switched off,
// because every attempt must pass the pacer of its quota category (one
// ceiling shared by every call of the job) and because Cognito's codes need
// classes of their own (the SDK retries LimitExceededException as a
// throttle; in Cognito it is a cap no backoff lifts). See the README's
// "Pacing and retries".

package cognito

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Class is what a failed call means for the job.
type Class int

const (
	// Permanent fails the row and the job goes on: the row's data is wrong
	// (unknown user, password the pool rejects, expired token). Retrying
	// gives the same answer.
	Permanent Class = iota
	// Retryable is a transient failure (5xx, network, Lambda hiccup): try the
	// row again after a backoff.
	Retryable
	// Throttle is the quota saying no: retry after a backoff and tell the
	// pacer to slow down.
	Throttle
	// LimitExceeded is Cognito's LimitExceededException: not a request-rate
	// throttle but a per-user or per-account cap (daily emails, attempts)
	// that will not lift within a job's backoff. It fails the row; the runner
	// stops the job when it repeats.
	LimitExceeded
	// Fatal stops the job: every later row would fail the same way (pool
	// gone, credentials rejected, operation unavailable, job cancelled).
	Fatal
	// PoolLevel is a failure of the pool's own Lambda triggers
	// (UnexpectedLambdaException, InvalidLambdaResponseException,
	// UserLambdaValidationException): Cognito ran the pool's trigger for
	// this row and the trigger failed. A cold start or a Lambda throttle
	// clears at once, so the row gets one more attempt (PoolLevelAttempts
	// in all), no more: a broken trigger fails every row the same way, and
	// retrying it ten times per row would multiply the damage. The row
	// fails with the code, which is not final: --resume sends it again once
	// the trigger is fixed. Stopping the job when consecutive rows fail with
	// the same pool-level code is the runner's business (see PoolLevelCode).
	PoolLevel
)

// PoolLevelAttempts is the most attempts, the first included, that a call
// failing with a PoolLevel code gets, whatever Backoff.MaxAttempts says.
const PoolLevelAttempts = 2

// PoolLevelCode reports whether a report error code is a PoolLevel code:
// the pool's Lambda trigger failed, and the next rows will most likely
// fail the same way. A breaker that stops the job after N consecutive rows
// with the same pool-level code keys on this.
func PoolLevelCode(code string) bool { return codes[code] == PoolLevel }

func (c Class) String() string {
	switch c {
	case Permanent:
		return "permanent"
	case Retryable:
		return "retryable"
	case Throttle:
		return "throttle"
	case LimitExceeded:
		return "limit-exceeded"
	case Fatal:
		return "fatal"
	case PoolLevel:
		return "pool-level"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Retry reports whether the row should be attempted again (budget allowing;
// see Backoff.RetryClass for the budget of each class).
func (c Class) Retry() bool { return c == Retryable || c == Throttle || c == PoolLevel }

// Codes of failures that carry no API error code of their own.
const (
	CodeCanceled         = "Canceled"
	CodeDeadlineExceeded = "DeadlineExceeded"
	CodeNetworkError     = "NetworkError"
	CodeTimeout          = "Timeout"
	CodeTLSError         = "TLSError"
	CodeDNSNotFound      = "DNSNotFound"
	CodeCredentialsError = "CredentialsError"
	CodeSigningError     = "SigningError"
	CodeInvalidInput     = "InvalidInput"
	CodeTransientError   = "TransientError"
	CodeUnknownError     = "UnknownError"
)

// codes maps Cognito's (and AWS's common) error codes to a class. Codes that
// are not here are classified by HTTP status, then by fault. Every error the
// service model (botocore's cognito-idp 2016-04-18 service-2.json) lists for
// the operations cogpass calls is here; docs/errors.md gives each code's
// class and the reason, and a test keeps the two in step.
var codes = map[string]Class{
	// The row's own data: fail it, go on.
	"UserNotFoundException":                   Permanent,
	"InvalidPasswordException":                Permanent,
	"InvalidParameterException":               Permanent,
	"PasswordHistoryPolicyViolationException": Permanent,
	"NotAuthorizedException":                  Permanent, // a row's token or user state (disabled user)
	"AliasExistsException":                    Permanent,
	"CodeDeliveryFailureException":            Permanent, // this user's address bounced
	"UserNotConfirmedException":               Permanent,
	"PasswordResetRequiredException":          Permanent,
	"UnsupportedUserStateException":           Permanent,
	"TooManyFailedAttemptsException":          Permanent,
	"CodeMismatchException":                   Permanent,
	"ExpiredCodeException":                    Permanent,
	"UsernameExistsException":                 Permanent,
	"UnauthorizedException":                   Permanent,
	"PreconditionNotMetException":             Permanent,
	"ValidationException":                     Permanent,
	"SerializationException":                  Permanent,

	// The quota.
	"TooManyRequestsException":               Throttle,
	"ThrottlingException":                    Throttle,
	"Throttling":                             Throttle,
	"ThrottledException":                     Throttle,
	"RequestThrottledException":              Throttle,
	"RequestThrottled":                       Throttle,
	"RequestLimitExceeded":                   Throttle,
	"SlowDown":                               Throttle,
	"ProvisionedThroughputExceededException": Throttle,
	"BandwidthLimitExceeded":                 Throttle,
	"PriorRequestNotComplete":                Throttle,

	// Cognito uses it for caps that outlast any backoff, not for rate.
	"LimitExceededException": LimitExceeded,

	// The pool's Lambda trigger failed (AdminResetUserPassword runs the
	// custom message and custom sender triggers): one more attempt, then
	// the row fails with a code --resume sends again.
	"UnexpectedLambdaException":      PoolLevel, // "an unexpected exception with Lambda"
	"InvalidLambdaResponseException": PoolLevel, // the trigger answered in a shape Cognito rejects
	"UserLambdaValidationException":  PoolLevel, // the trigger threw

	// Transient on the service side.
	"InternalErrorException":          Retryable,
	"InternalServerException":         Retryable,
	"InternalFailure":                 Retryable,
	"InternalError":                   Retryable,
	"InternalServerError":             Retryable,
	"ServiceUnavailable":              Retryable,
	"ServiceUnavailableException":     Retryable,
	"ConcurrentModificationException": Retryable,
	"RequestTimeout":                  Retryable,
	"RequestTimeoutException":         Retryable,
	"TransactionInProgressException":  Retryable,

	// The job cannot go on: pool, account, credentials or endpoint.
	"ResourceNotFoundException":                Fatal,
	"OperationNotEnabledException":             Fatal,
	"UnrecognizedClientException":              Fatal,
	"InvalidClientTokenId":                     Fatal,
	"ExpiredTokenException":                    Fatal,
	"ExpiredToken":                             Fatal,
	"RequestExpired":                           Fatal,
	"InvalidSignatureException":                Fatal,
	"SignatureDoesNotMatch":                    Fatal,
	"IncompleteSignature":                      Fatal,
	"MissingAuthenticationToken":               Fatal,
	"MissingAuthenticationTokenException":      Fatal,
	"AccessDeniedException":                    Fatal,
	"AccessDenied":                             Fatal,
	"OptInRequired":                            Fatal,
	"ForbiddenException":                       Fatal, // the pool's WAF web ACL blocks us; not final: resumable once the ACL lets us through
	"UserPoolTaggingException":                 Fatal, // DescribeUserPool: the pool's tags are broken, the preflight cannot read the pool
	"FeatureUnavailableInTierException":        Fatal,
	"UserPoolAddOnNotEnabledException":         Fatal,
	"UserImportInProgressException":            Fatal,
	"InvalidUserPoolConfigurationException":    Fatal,
	"InvalidEmailRoleAccessPolicyException":    Fatal, // the pool's SES setup: every reset would fail
	"InvalidSmsRoleAccessPolicyException":      Fatal,
	"InvalidSmsRoleTrustRelationshipException": Fatal,
	// An endpoint that does not implement the operation (an emulator, a
	// proxy): cognito-local answers 500 {"__type":"CognitoLocal#Unsupported"},
	// which would otherwise be retried as a 5xx.
	"UnsupportedOperationException": Fatal,
	"UnsupportedOperation":          Fatal,
	"UnknownOperationException":     Fatal,
	"UnknownOperation":              Fatal,
	"Unsupported":                   Fatal,
	"UnsupportedError":              Fatal,
	"NotImplemented":                Fatal,
	"InvalidAction":                 Fatal,
}

// Classify says what err means for the job and the error code to report:
// the API's error code when there is one ("UserNotFoundException"), else
// "HTTP<status>", or one of the Code constants (NetworkError, Timeout,
// Canceled, ...). A nil err gives (Permanent, ""): callers classify failures
// only.
//
// The end of the caller's context is Fatal: it means the job is stopping. A
// per-attempt time limit belongs on the HTTP client (http.Client.Timeout),
// whose expiry Classify sees as a retryable Timeout.
func Classify(err error) (Class, string) {
	if err == nil {
		return Permanent, ""
	}

	// The SDK wraps the end of the caller's context in smithy.CanceledError
	// (aws.RequestCanceledError from the credential cache); bare context
	// errors come from our own waits. An HTTP client timeout also matches
	// context.DeadlineExceeded, but comes without either wrapper (see below).
	var canceled interface{ CanceledError() bool }
	if errors.As(err, &canceled) && canceled.CanceledError() {
		if errors.Is(err, context.DeadlineExceeded) {
			return Fatal, CodeDeadlineExceeded
		}
		return Fatal, CodeCanceled
	}
	if errors.Is(err, context.Canceled) {
		return Fatal, CodeCanceled
	}

	// Signing needs credentials; when the provider chain fails (no
	// credentials, expired SSO session, IMDS unreachable off EC2) every
	// call will.
	var signing *v4.SigningError
	if errors.As(err, &signing) {
		if strings.Contains(signing.Error(), "credentials") {
			return Fatal, CodeCredentialsError
		}
		return Fatal, CodeSigningError
	}
	var missingRegion *aws.MissingRegionError
	if errors.As(err, &missingRegion) {
		return Fatal, "MissingRegion"
	}

	status := 0
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		status = respErr.HTTPStatusCode()
	}

	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if class, ok := codes[code]; ok {
			return class, code
		}
		if strings.HasPrefix(apiErr.ErrorMessage(), "Cognito Local unsupported feature") {
			return Fatal, code
		}
		if code == "" || code == "UnknownError" {
			// The SDK's placeholder when the body named no error: the
			// status says more.
			if status != 0 {
				return byStatus(status)
			}
			code = CodeUnknownError
		}
		if status != 0 {
			class, _ := byStatus(status)
			return class, code
		}
		if apiErr.ErrorFault() == smithy.FaultServer {
			return Retryable, code
		}
		return Permanent, code
	}

	// Input the SDK refused to send: the row's data.
	var invalidParams smithy.InvalidParamsError
	var serialization *smithy.SerializationError
	if errors.As(err, &invalidParams) || errors.As(err, &serialization) {
		return Permanent, CodeInvalidInput
	}

	// A deadline of our own (bare context error): the job's time is up. The
	// HTTP client's timeout matches context.DeadlineExceeded as well, but
	// always inside a *url.Error.
	var urlErr *url.Error
	if errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &urlErr) {
		return Fatal, CodeDeadlineExceeded
	}

	// Network failures before a status line came, or while the body was
	// read: a truncated answer is retried even after a 200, since the job
	// cannot know the call's outcome and repeating a password write is
	// harmless, while failing the row would lose a password that was set.
	if class, code, ok := network(err); ok {
		return class, code
	}

	// An answer we could not parse (an HTML 503 from a load balancer).
	if status != 0 {
		return byStatus(status)
	}

	// The credential cache's words, when the credentials were fetched
	// outside the signer (the error text is the only mark it leaves).
	if msg := err.Error(); strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "failed to retrieve credentials") {
		return Fatal, CodeCredentialsError
	}

	var retryable interface{ RetryableError() bool }
	if errors.As(err, &retryable) {
		if retryable.RetryableError() {
			return Retryable, CodeTransientError
		}
		return Permanent, CodeUnknownError
	}

	return Permanent, CodeUnknownError
}

// byStatus classifies an HTTP answer that carried no known error code.
func byStatus(status int) (Class, string) {
	code := "HTTP" + strconv.Itoa(status)
	switch {
	case status == 429:
		return Throttle, code
	case status == 501:
		// Not Implemented will not become implemented by retrying.
		return Fatal, code
	case status >= 500:
		return Retryable, code
	case status == 401 || status == 403:
		// Cognito names its auth failures; a bare 401/403 comes from
		// something in front of it (a proxy, a gateway) and will refuse
		// every row.
		return Fatal, code
	case status == 408:
		return Retryable, code
	}
	return Permanent, code
}

// network classifies transport failures: the request may not have reached
// Cognito, or its answer was lost.
func network(err error) (Class, string, bool) {
	// A certificate the client does not trust stays untrusted.
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalidCert) || errors.As(err, &verification) {
		return Fatal, CodeTLSError, true
	}

	// A host name that does not exist is a wrong --endpoint-url or region,
	// not a blip; a resolver timeout is a blip.
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return Fatal, CodeDNSNotFound, true
	}

	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return Retryable, CodeTimeout, true
	}
	var conn interface{ ConnectionError() bool }
	switch {
	case errors.As(err, &conn) && conn.ConnectionError(),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.As(err, &netErr):
		return Retryable, CodeNetworkError, true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return Retryable, CodeNetworkError, true
	}
	return 0, "", false
}

// Backoff is exponential backoff with full jitter (AWS Architecture Blog,
// "Exponential Backoff And Jitter"): the wait is uniform in
// [0, min(Cap, Base*2^attempt)]. Full jitter spreads the retries of workers
// that were throttled together, so they do not come back as one burst.
type Backoff struct {
	Base, Cap time.Duration
	// MaxAttempts counts every attempt, the first included.
	MaxAttempts int
}

// DefaultBackoff: a 100 ms base keeps the first retries quick (a 5xx or a
// lone throttle usually clears at once). The 20 s cap and 10 attempts let a
// row ride out about a minute of sustained throttling: the nine waits have
// ceilings 0.2, 0.4, ... 12.8, 20, 20 s (65 s in all, 33 s on average with
// full jitter) — long enough for a production burst on the shared account
// quota to pass, short enough that a dead endpoint fails rows instead of
// hanging the job. The pacer, not the backoff, is what brings the request
// rate down under throttling, so long waits buy nothing more.
var DefaultBackoff = Backoff{Base: 100 * time.Millisecond, Cap: 20 * time.Second, MaxAttempts: 10}

// WithDefaults fills zero or negative fields from DefaultBackoff.
func (b Backoff) WithDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoff.Base
	}
	if b.Cap <= 0 {
		b.Cap = DefaultBackoff.Cap
	}
	if b.Cap < b.Base {
		b.Cap = b.Base
	}
	if b.MaxAttempts <= 0 {
		b.MaxAttempts = DefaultBackoff.MaxAttempts
	}
	return b
}

// Delay is the wait before the next attempt, given the number of attempts
// made so far (1 after the first failure): uniform in
// [0, min(Cap, Base*2^attempt)]. Zero fields take DefaultBackoff's values.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.WithDefaults()
	ceiling := b.Cap
	attempt = max(attempt, 0)
	// Base<<attempt overflows past 62 shifts; by then it is past any Cap.
	if attempt < 62 {
		if d := b.Base << attempt; d>>attempt == b.Base && d < ceiling {
			ceiling = d
		}
	}
	return rand.N(ceiling + 1)
}

// Retry reports whether another attempt is allowed after attempts attempts
// (the first included) have failed.
func (b Backoff) Retry(attempts int) bool {
	return attempts < b.WithDefaults().MaxAttempts
}

// RetryClass reports whether a call whose last answer was of class c gets
// another attempt after attempts attempts (the first included): the class
// must be retried at all, and the budget not spent. A PoolLevel failure's
// budget is PoolLevelAttempts at most.
func (b Backoff) RetryClass(c Class, attempts int) bool {
	if !c.Retry() {
		return false
	}
	if c == PoolLevel && attempts >= PoolLevelAttempts {
		return false
	}
	return b.Retry(attempts)
}

// Sleep waits for d or until ctx ends, and returns ctx's error in that case.
// It uses a timer, not time.Sleep, so that it can be cut short and so that it
// runs on the fake clock of testing/synctest.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FinalCode reports whether a row that failed with this report error code
// is done for good: sending it again would fail the same way. A resumed run
// sends again every row whose code is not final: a throttle, a fault, a
// cap, a stop, or a code it does not know (a resent row costs one call; a
// row wrongly skipped is a user left out).
func FinalCode(code string) bool {
	if class, ok := codes[code]; ok {
		return class == Permanent
	}
	switch code {
	case CodeInvalidInput:
		return true
	case "InvalidManifestRow", "DuplicateUser", "FederatedUser":
		// cogpass's own codes for rows that never reached Cognito; the
		// sidecar guarantees the manifest has not changed.
		return true
	}
	if strings.HasPrefix(code, "HTTP4") {
		return code != "HTTP408" && code != "HTTP429"
	}
	return false
}
