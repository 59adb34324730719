package cognito

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkWrap wraps an API error the way the SDK returns it from an operation:
// OperationError{ResponseError{ResponseError{err}}}.
func sdkWrap(status int, err error) error {
	return &smithy.OperationError{
		ServiceID:     "Cognito Identity Provider",
		OperationName: "AdminSetUserPassword",
		Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
				Err:      err,
			},
			RequestID: "req-1",
		},
	}
}

func sendErr(err error) error {
	return &smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "AdminSetUserPassword",
		Err: &smithyhttp.RequestSendError{Err: err}}
}

type retryableErr struct{ retry bool }

func (e retryableErr) Error() string        { return "custom" }
func (e retryableErr) RetryableError() bool { return e.retry }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	generic := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name  string
		err   error
		class Class
		code  string
	}{
		{"nil", nil, Permanent, ""},

		// Typed Cognito errors as the SDK deserializes them.
		{"user not found", sdkWrap(400, &types.UserNotFoundException{}), Permanent, "UserNotFoundException"},
		{"invalid password", sdkWrap(400, &types.InvalidPasswordException{}), Permanent, "InvalidPasswordException"},
		{"invalid parameter", sdkWrap(400, &types.InvalidParameterException{}), Permanent, "InvalidParameterException"},
		{"password history", sdkWrap(400, &types.PasswordHistoryPolicyViolationException{}), Permanent, "PasswordHistoryPolicyViolationException"},
		{"not authorized", sdkWrap(400, &types.NotAuthorizedException{}), Permanent, "NotAuthorizedException"},
		{"alias exists", sdkWrap(400, &types.AliasExistsException{}), Permanent, "AliasExistsException"},
		{"code delivery", sdkWrap(400, &types.CodeDeliveryFailureException{}), Permanent, "CodeDeliveryFailureException"},
		{"lambda validation", sdkWrap(400, &types.UserLambdaValidationException{}), PoolLevel, "UserLambdaValidationException"},
		{"invalid lambda response", sdkWrap(400, &types.InvalidLambdaResponseException{}), PoolLevel, "InvalidLambdaResponseException"},
		{"too many requests", sdkWrap(400, &types.TooManyRequestsException{}), Throttle, "TooManyRequestsException"},
		{"throttling generic", sdkWrap(400, generic("ThrottlingException")), Throttle, "ThrottlingException"},
		{"limit exceeded", sdkWrap(400, &types.LimitExceededException{}), LimitExceeded, "LimitExceededException"},
		{"internal error", sdkWrap(500, &types.InternalErrorException{}), Retryable, "InternalErrorException"},
		{"unexpected lambda", sdkWrap(400, &types.UnexpectedLambdaException{}), PoolLevel, "UnexpectedLambdaException"},
		{"sms role policy", sdkWrap(400, &types.InvalidSmsRoleAccessPolicyException{}), Fatal, "InvalidSmsRoleAccessPolicyException"},
		{"sms role trust", sdkWrap(400, &types.InvalidSmsRoleTrustRelationshipException{}), Fatal, "InvalidSmsRoleTrustRelationshipException"},
		{"pool tagging", sdkWrap(400, &types.UserPoolTaggingException{}), Fatal, "UserPoolTaggingException"},
		{"resource not found", sdkWrap(400, &types.ResourceNotFoundException{}), Fatal, "ResourceNotFoundException"},
		{"operation not enabled", sdkWrap(400, &types.OperationNotEnabledException{}), Fatal, "OperationNotEnabledException"},
		{"email role", sdkWrap(400, &types.InvalidEmailRoleAccessPolicyException{}), Fatal, "InvalidEmailRoleAccessPolicyException"},
		{"forbidden waf", sdkWrap(403, &types.ForbiddenException{}), Fatal, "ForbiddenException"},
		{"unsupported operation", sdkWrap(400, &types.UnsupportedOperationException{}), Fatal, "UnsupportedOperationException"},

		// Auth failures come as generic errors: not in Cognito's model.
		{"unrecognized client", sdkWrap(400, generic("UnrecognizedClientException")), Fatal, "UnrecognizedClientException"},
		{"invalid client token", sdkWrap(403, generic("InvalidClientTokenId")), Fatal, "InvalidClientTokenId"},
		{"expired token exc", sdkWrap(400, generic("ExpiredTokenException")), Fatal, "ExpiredTokenException"},
		{"expired token", sdkWrap(400, generic("ExpiredToken")), Fatal, "ExpiredToken"},
		{"request expired", sdkWrap(400, generic("RequestExpired")), Fatal, "RequestExpired"},
		{"invalid signature", sdkWrap(400, generic("InvalidSignatureException")), Fatal, "InvalidSignatureException"},
		{"signature mismatch", sdkWrap(403, generic("SignatureDoesNotMatch")), Fatal, "SignatureDoesNotMatch"},
		{"access denied exc", sdkWrap(400, generic("AccessDeniedException")), Fatal, "AccessDeniedException"},
		{"access denied", sdkWrap(403, generic("AccessDenied")), Fatal, "AccessDenied"},
		{"missing auth token", sdkWrap(403, generic("MissingAuthenticationToken")), Fatal, "MissingAuthenticationToken"},
		{"incomplete signature", sdkWrap(403, generic("IncompleteSignature")), Fatal, "IncompleteSignature"},
		{"unknown operation", sdkWrap(400, generic("UnknownOperationException")), Fatal, "UnknownOperationException"},
		{"unsupported op", sdkWrap(400, generic("UnsupportedOperation")), Fatal, "UnsupportedOperation"},
		// cognito-local: 500 {"__type":"CognitoLocal#Unsupported"}, sanitized by the SDK.
		{"cognito-local unsupported", sdkWrap(500, &smithy.GenericAPIError{Code: "Unsupported",
			Message: `Cognito Local unsupported feature: Unsupported x-amz-target header "AdminSetUserPassword"`}), Fatal, "Unsupported"},
		{"cognito-local message only", sdkWrap(500, &smithy.GenericAPIError{Code: "SomethingElse",
			Message: "Cognito Local unsupported feature: x"}), Fatal, "SomethingElse"},

		// Unknown codes fall back on the status, then the fault.
		{"unknown code 4xx", sdkWrap(400, generic("BrandNewException")), Permanent, "BrandNewException"},
		{"unknown code 5xx", sdkWrap(503, generic("BrandNewException")), Retryable, "BrandNewException"},
		{"unknown code 429", sdkWrap(429, generic("BrandNewException")), Throttle, "BrandNewException"},
		{"placeholder code uses status", sdkWrap(502, generic("UnknownError")), Retryable, "HTTP502"},
		{"server fault no status", &smithy.GenericAPIError{Code: "X", Fault: smithy.FaultServer}, Retryable, "X"},
		{"client fault no status", &smithy.GenericAPIError{Code: "X", Fault: smithy.FaultClient}, Permanent, "X"},
		{"bare typed", &types.TooManyRequestsException{}, Throttle, "TooManyRequestsException"},
		{"fmt wrapped", fmt.Errorf("row 3: %w", sdkWrap(400, &types.UserNotFoundException{})), Permanent, "UserNotFoundException"},

		// No API error: the status alone.
		{"503 html", sdkWrap(503, &smithy.DeserializationError{Err: errors.New("invalid character '<'")}), Retryable, "HTTP503"},
		{"500", sdkWrap(500, errors.New("x")), Retryable, "HTTP500"},
		{"504", sdkWrap(504, errors.New("x")), Retryable, "HTTP504"},
		{"501", sdkWrap(501, errors.New("x")), Fatal, "HTTP501"},
		{"429", sdkWrap(429, errors.New("x")), Throttle, "HTTP429"},
		{"403", sdkWrap(403, errors.New("x")), Fatal, "HTTP403"},
		{"401", sdkWrap(401, errors.New("x")), Fatal, "HTTP401"},
		{"408", sdkWrap(408, errors.New("x")), Retryable, "HTTP408"},
		{"404", sdkWrap(404, errors.New("x")), Permanent, "HTTP404"},
		{"200 bad body", sdkWrap(200, &smithy.DeserializationError{Err: errors.New("bad")}), Permanent, "HTTP200"},

		// Network.
		{"conn refused", sendErr(&url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp",
			Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}), Retryable, CodeNetworkError},
		{"conn reset", &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, Retryable, CodeNetworkError},
		{"bare reset", fmt.Errorf("x: %w", syscall.ECONNRESET), Retryable, CodeNetworkError},
		{"broken pipe", fmt.Errorf("x: %w", syscall.EPIPE), Retryable, CodeNetworkError},
		{"eof", sendErr(&url.Error{Op: "Post", URL: "http://x", Err: io.EOF}), Retryable, CodeNetworkError},
		{"bare eof", io.ErrUnexpectedEOF, Retryable, CodeNetworkError},
		{"empty op error", &net.OpError{}, Retryable, CodeNetworkError},
		{"timeout", sendErr(&url.Error{Op: "Post", URL: "http://x", Err: timeoutErr{}}), Retryable, CodeTimeout},
		{"net timeout bare", timeoutErr{}, Retryable, CodeTimeout},
		{"dns not found", sendErr(&net.DNSError{Err: "no such host", Name: "cognito-idp.nowhere", IsNotFound: true}), Fatal, CodeDNSNotFound},
		{"dns timeout", sendErr(&net.DNSError{Err: "timeout", Name: "h", IsTimeout: true}), Retryable, CodeTimeout},
		{"dns temporary", sendErr(&net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}), Retryable, CodeNetworkError},
		{"bad cert", sendErr(&url.Error{Op: "Post", URL: "https://x", Err: x509.UnknownAuthorityError{}}), Fatal, CodeTLSError},
		{"bad host cert", sendErr(x509.HostnameError{Host: "x", Certificate: &x509.Certificate{}}), Fatal, CodeTLSError},
		{"request send only", &smithyhttp.RequestSendError{Err: errors.New("something")}, Retryable, CodeNetworkError},

		// The job's context.
		{"canceled", context.Canceled, Fatal, CodeCanceled},
		{"canceled wrapped", fmt.Errorf("wait: %w", context.Canceled), Fatal, CodeCanceled},
		{"sdk canceled", &smithy.OperationError{Err: &smithy.CanceledError{Err: context.Canceled}}, Fatal, CodeCanceled},
		{"sdk deadline", &smithy.OperationError{Err: &smithy.CanceledError{Err: context.DeadlineExceeded}}, Fatal, CodeDeadlineExceeded},
		{"aws canceled", &aws.RequestCanceledError{Err: context.Canceled}, Fatal, CodeCanceled},
		{"deadline", context.DeadlineExceeded, Fatal, CodeDeadlineExceeded},

		// Credentials and configuration.
		{"credentials", &smithy.OperationError{Err: signingErr(errors.New("failed to retrieve credentials: failed to refresh cached credentials, no EC2 IMDS role found"))}, Fatal, CodeCredentialsError},
		{"credentials text", errors.New("failed to refresh cached credentials, operation error ec2imds"), Fatal, CodeCredentialsError},
		{"signing other", signingErr(errors.New("unexpected request middleware type")), Fatal, CodeSigningError},
		{"missing region", &smithy.OperationError{Err: &aws.MissingRegionError{}}, Fatal, "MissingRegion"},

		// Refused before sending: the row's data.
		{"invalid params", &smithy.OperationError{Err: func() error {
			e := smithy.InvalidParamsError{Context: "AdminSetUserPasswordInput"}
			e.Add(smithy.NewErrParamRequired("Username"))
			return e
		}()}, Permanent, CodeInvalidInput},
		{"serialization", &smithy.SerializationError{Err: errors.New("x")}, Permanent, CodeInvalidInput},

		// aws-style RetryableError() marker.
		{"retryable marker", retryableErr{true}, Retryable, CodeTransientError},
		{"not retryable marker", retryableErr{false}, Permanent, CodeUnknownError},
		{"unknown", errors.New("something odd"), Permanent, CodeUnknownError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			class, code := Classify(tt.err)
			if class != tt.class || code != tt.code {
				t.Errorf("Classify(%T) = %v, %q; want %v, %q", tt.err, class, code, tt.class, tt.code)
			}
		})
	}
}

// signingErr is what the SigV4 middleware returns when the credential
// provider fails.
func signingErr(err error) error { return &v4.SigningError{Err: err} }

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{Permanent: "permanent", Retryable: "retryable", Throttle: "throttle",
		LimitExceeded: "limit-exceeded", Fatal: "fatal", PoolLevel: "pool-level", Class(9): "Class(9)"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(c), got, want)
		}
	}
	for c, want := range map[Class]bool{Permanent: false, Retryable: true, Throttle: true, LimitExceeded: false, Fatal: false, PoolLevel: true} {
		if c.Retry() != want {
			t.Errorf("%v.Retry() = %v", c, !want)
		}
	}
}

// TestClassifyRealSDK drives the real Cognito client, retryer off as the job
// runs it, against a server that answers the way Cognito (or a proxy, or an
// emulator) does, so that Classify is checked on what the SDK really
// returns.
func TestClassifyRealSDK(t *testing.T) {
	jsonErr := func(status int, typ string, header bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			if header {
				w.Header().Set("X-Amzn-ErrorType", typ+":http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/")
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":%q,"message":"test message"}`, typ)
		}
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })

	tests := []struct {
		name    string
		handler http.HandlerFunc
		client  *http.Client
		ctx     func() (context.Context, context.CancelFunc)
		creds   aws.CredentialsProvider
		class   Class
		code    string
		typed   any // a pointer to the typed error the SDK must return, if any
	}{
		{name: "throttle", handler: jsonErr(400, "TooManyRequestsException", true), class: Throttle, code: "TooManyRequestsException",
			typed: new(*types.TooManyRequestsException)},
		{name: "throttle body only", handler: jsonErr(400, "com.amazonaws.cognito#TooManyRequestsException", false), class: Throttle, code: "TooManyRequestsException"},
		{name: "internal error", handler: jsonErr(500, "InternalErrorException", true), class: Retryable, code: "InternalErrorException",
			typed: new(*types.InternalErrorException)},
		{name: "user not found", handler: jsonErr(400, "UserNotFoundException", true), class: Permanent, code: "UserNotFoundException",
			typed: new(*types.UserNotFoundException)},
		{name: "limit exceeded", handler: jsonErr(400, "LimitExceededException", false), class: LimitExceeded, code: "LimitExceededException"},
		{name: "pool not found", handler: jsonErr(400, "ResourceNotFoundException", true), class: Fatal, code: "ResourceNotFoundException",
			typed: new(*types.ResourceNotFoundException)},
		{name: "unrecognized client", handler: jsonErr(400, "UnrecognizedClientException", false), class: Fatal, code: "UnrecognizedClientException"},
		{name: "expired token", handler: jsonErr(400, "ExpiredTokenException", false), class: Fatal, code: "ExpiredTokenException"},
		{name: "cognito-local unsupported", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			io.WriteString(w, `{"__type":"CognitoLocal#Unsupported","message":"Cognito Local unsupported feature: Unsupported x-amz-target header \"AdminSetUserPassword\""}`)
		}, class: Fatal, code: "Unsupported"},
		{name: "503 html", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
		}, class: Retryable, code: "HTTP503"},
		{name: "429 empty", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, class: Throttle, code: "HTTP429"},
		{name: "403 proxy", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			io.WriteString(w, "Forbidden")
		}, class: Fatal, code: "HTTP403"},
		{name: "closed connection", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, class: Retryable, code: CodeNetworkError},
		{name: "half a response", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"")
				buf.Flush()
				conn.Close()
			}
		}, class: Retryable, code: CodeNetworkError},
		{name: "client timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, client: &http.Client{Timeout: 50 * time.Millisecond}, class: Retryable, code: CodeTimeout},
		{name: "job deadline", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, class: Fatal, code: CodeDeadlineExceeded},
		{name: "job canceled", handler: jsonErr(400, "UserNotFoundException", true), ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, class: Fatal, code: CodeCanceled},
		{name: "credentials fail", handler: jsonErr(400, "UserNotFoundException", true),
			creds: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{}, errors.New("no EC2 IMDS role found")
			})), class: Fatal, code: CodeCredentialsError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if got := r.Header.Get("X-Amz-Target"); got != "AWSCognitoIdentityProviderService.AdminSetUserPassword" {
					t.Errorf("X-Amz-Target = %q", got)
				}
				// Reading the body lets the server notice the client hang up
				// (and end r.Context()) while a handler stalls.
				io.Copy(io.Discard, r.Body)
				tt.handler(w, r)
			}))
			defer srv.Close()
			err := callSDK(t, srv.URL, tt.client, tt.creds, tt.ctx)
			if err == nil {
				t.Fatal("call succeeded")
			}
			class, code := Classify(err)
			if class != tt.class || code != tt.code {
				t.Errorf("Classify(%v) = %v, %q; want %v, %q", err, class, code, tt.class, tt.code)
			}
			if tt.typed != nil && !errors.As(err, tt.typed) {
				t.Errorf("error %T is not a %T", err, tt.typed)
			}
			if n := calls.Load(); n > 1 {
				t.Errorf("server saw %d calls; the SDK retried", n)
			}
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		err = callSDK(t, "http://"+addr, nil, nil, nil)
		if class, code := Classify(err); class != Retryable || code != CodeNetworkError {
			t.Errorf("Classify(%v) = %v, %q; want retryable NetworkError", err, class, code)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%v is not ECONNREFUSED", err)
		}
	})
}

func callSDK(t *testing.T, endpoint string, hc *http.Client, creds aws.CredentialsProvider,
	mkctx func() (context.Context, context.CancelFunc)) error {
	t.Helper()
	if creds == nil {
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
		})
	}
	if hc == nil {
		hc = &http.Client{}
	}
	client := cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  creds,
		HTTPClient:   hc,
	}, func(o *cip.Options) { o.Retryer = aws.NopRetryer{} })
	ctx, cancel := context.WithCancel(context.Background())
	if mkctx != nil {
		ctx, cancel = mkctx()
	}
	defer cancel()
	_, err := client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String("us-east-1_test"),
		Username:   aws.String("user000001"),
		Password:   aws.String("Secret-Pa55word"),
	})
	return err
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Cap: 2 * time.Second, MaxAttempts: 5}
	tests := []struct {
		attempt int
		ceiling time.Duration
	}{
		{-1, 100 * time.Millisecond},
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{4, 1600 * time.Millisecond},
		{5, 2 * time.Second},
		{40, 2 * time.Second},
		{63, 2 * time.Second},
		{1000, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			const n = 4000
			var sum, top time.Duration
			for range n {
				d := b.Delay(tt.attempt)
				if d < 0 || d > tt.ceiling {
					t.Fatalf("Delay(%d) = %v, outside [0, %v]", tt.attempt, d, tt.ceiling)
				}
				sum += d
				top = max(top, d)
			}
			// Full jitter: uniform, so the mean is half the ceiling
			// (standard error ~0.0046 of the ceiling at n=4000) and the
			// largest draw is close to the ceiling.
			mean := float64(sum) / n / float64(tt.ceiling)
			if math.Abs(mean-0.5) > 0.03 {
				t.Errorf("mean delay = %.3f of the ceiling, want ~0.5", mean)
			}
			if float64(top) < 0.95*float64(tt.ceiling) {
				t.Errorf("largest delay %v, want close to %v", top, tt.ceiling)
			}
		})
	}
}

func TestBackoffDefaults(t *testing.T) {
	var zero Backoff
	if got := zero.WithDefaults(); got != DefaultBackoff {
		t.Errorf("zero.WithDefaults() = %+v, want %+v", got, DefaultBackoff)
	}
	if got := (Backoff{Base: time.Second, Cap: time.Millisecond}).WithDefaults(); got.Cap != time.Second {
		t.Errorf("cap below base: got %+v, want cap raised to base", got)
	}
	for range 1000 {
		if d := zero.Delay(100); d > DefaultBackoff.Cap {
			t.Fatalf("zero.Delay(100) = %v > default cap", d)
		}
	}
	b := Backoff{MaxAttempts: 3}
	for attempts, want := range map[int]bool{0: true, 1: true, 2: true, 3: false, 4: false} {
		if got := b.Retry(attempts); got != want {
			t.Errorf("Retry(%d) = %v, want %v", attempts, got, want)
		}
	}
	if !zero.Retry(DefaultBackoff.MaxAttempts-1) || zero.Retry(DefaultBackoff.MaxAttempts) {
		t.Error("zero Backoff does not use DefaultBackoff.MaxAttempts")
	}
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		if err := Sleep(ctx, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("slept %v, want 3s", got)
		}
		if err := Sleep(ctx, 0); err != nil {
			t.Errorf("Sleep(0) = %v", err)
		}
		if err := Sleep(ctx, -time.Second); err != nil {
			t.Errorf("Sleep(-1s) = %v", err)
		}

		cctx, cancel := context.WithCancel(ctx)
		start = time.Now()
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		if err := Sleep(cctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep after cancel = %v, want Canceled", err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("canceled sleep took %v, want 1s", got)
		}
		if err := Sleep(cctx, time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep on a done ctx = %v, want Canceled", err)
		}
		if c, code := Classify(Sleep(cctx, time.Second)); c != Fatal || code != CodeCanceled {
			t.Errorf("Classify(Sleep on done ctx) = %v %q", c, code)
		}

		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		defer dcancel()
		if err := Sleep(dctx, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep past deadline = %v", err)
		}
	})
}

func TestClassifyStrings(t *testing.T) {
	// Every code in the table is classified as listed, whatever wraps it.
	for code, class := range codes {
		if c, got := Classify(sdkWrap(400, &smithy.GenericAPIError{Code: code})); c != class || got != code {
			t.Errorf("%s: got %v %q, want %v", code, c, got, class)
		}
		if strings.TrimSpace(code) != code || code == "" {
			t.Errorf("bad code %q in table", code)
		}
	}
}

func TestFinalCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"UserNotFoundException", true},
		{"InvalidPasswordException", true},
		{"InvalidManifestRow", true},
		{"DuplicateUser", true},
		{"HTTP404", true},
		{"TooManyRequestsException", false},
		{"LimitExceededException", false},
		{"InternalErrorException", false},
		{"ExpiredTokenException", false},
		{CodeNetworkError, false},
		{CodeTimeout, false},
		{"HTTP503", false},
		{"HTTP429", false},
		// Pool-level: a fixed trigger makes the row succeed.
		{"UnexpectedLambdaException", false},
		{"InvalidLambdaResponseException", false},
		{"UserLambdaValidationException", false},
		// Job-fatal codes stop the job; the rows are sent again.
		{"ForbiddenException", false},
		{"OperationNotEnabledException", false},
		{"InvalidSmsRoleAccessPolicyException", false},
		{"SomethingNew", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := FinalCode(tt.code); got != tt.want {
			t.Errorf("FinalCode(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}
