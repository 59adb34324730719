// Package emulator is a local, in-memory stand-in for the Amazon Cognito user
// pools API. It speaks Cognito's wire protocol (AWS JSON 1.1) for the
// operations cogpass uses, with Cognito's error codes and messages, its
// request-rate quotas, latency and random faults, so that the AWS SDK and the
// AWS CLI can be pointed at it with --endpoint-url.
//
// State lives in memory and is sized for a million users: a user is a small
// struct in a slice, found through one map from username to position, and
// ListUsers pages through the slice in insertion order.
package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cogpass/cognito/quota"

	"golang.org/x/time/rate"
)

// targetPrefix is the service name in X-Amz-Target for Cognito user pools.
const targetPrefix = "AWSCognitoIdentityProviderService."

// maxBody bounds a request body; Cognito's largest requests are far smaller.
const maxBody = 1 << 20

// DefaultPerUserWriteRPS is Cognito's fixed per-user limit on write
// operations ("up to ten requests per second that are write operations"),
// which no quota increase changes.
const DefaultPerUserWriteRPS = 10

// Options configures a Server.
type Options struct {
	// Quota is the request rate per quota category, shared by every pool as
	// Cognito's quotas are shared by every pool of an account. A category that
	// is absent is not limited; nil or empty means no throttling at all (the
	// per-user limit included). quota.Defaults() gives Cognito's defaults.
	Quota quota.Rates
	// PerUserWriteRPS is the per-user limit on write operations when Quota is
	// not empty: 0 means Cognito's DefaultPerUserWriteRPS, negative switches
	// it off.
	PerUserWriteRPS float64
	// Latency is added to every call, spread uniformly over
	// [Latency-LatencyJitter, Latency+LatencyJitter] (never below zero).
	Latency, LatencyJitter time.Duration
	// FaultRate is the fraction of calls (0..1) that fail at random with
	// InternalErrorException (HTTP 500) and change nothing.
	FaultRate float64
	// Seed seeds the emulator's randomness (jitter, faults, user subs, pool
	// IDs); 0 picks a random seed.
	Seed int64
	// Region names the region in pool IDs and ARNs; default us-east-1.
	Region string

	// EmailDailyCap is how many e-mails (reset codes, invitations) pools
	// whose EmailSendingAccount is COGNITO_DEFAULT may send per UTC day,
	// counted across the whole emulator as Cognito counts them per account;
	// the next one fails with LimitExceededException and changes nothing.
	// 0 means no cap; CognitoDefaultEmailDailyCap (50) is Cognito's.
	EmailDailyCap int
	// LambdaFault makes the custom message trigger fail (see LambdaFault).
	LambdaFault LambdaFault
	// FaultAfterApply applies writes and then loses their answer (see
	// AfterApplyFault).
	FaultAfterApply AfterApplyFault
}

// Validate checks the options; New panics on options that fail it.
func (o Options) Validate() error {
	switch {
	case !(o.FaultRate >= 0 && o.FaultRate <= 1):
		return fmt.Errorf("fault rate %v: want a fraction between 0 and 1", o.FaultRate)
	case o.EmailDailyCap < 0:
		return fmt.Errorf("email daily cap %d: want 0 (none) or more", o.EmailDailyCap)
	}
	if err := o.LambdaFault.validate(); err != nil {
		return err
	}
	return o.FaultAfterApply.validate()
}

// OpStats counts one operation's calls.
type OpStats struct {
	Calls     int64 // every request for the operation, whatever its outcome
	Throttled int64 // answered with TooManyRequestsException
	Faults    int64 // injected InternalErrorException
	Errors    int64 // other error responses (user not found, bad password, ...)
	// Lost counts, of Faults, the writes that were applied and whose
	// answer was then lost (Options.FaultAfterApply).
	Lost int64
}

type opCounters struct {
	calls, throttled, faults, errors, lost atomic.Int64
}

// unknownOp is the Stats key under which requests for operations the
// emulator does not implement are counted.
const unknownOp = "(unknown)"

// Server is the emulator. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	opts    Options
	started time.Time
	secret  []byte // signs access tokens and auth sessions

	// limiters holds one token bucket per quota category. A bucket counts in
	// units of 1/costScale request so that RespondToAuthChallenge's cost of a
	// third of a request is a whole number of units.
	limiters map[quota.Category]*rate.Limiter
	perUser  float64 // per-user write rate, 0 = off

	rngMu sync.Mutex
	rng   *rand.Rand

	// The fault modes of faults.go draw from their own stream, so that
	// latency jitter does not shift which calls fail.
	faultMu  sync.Mutex
	faultRng *rand.Rand
	faults   faultState

	mu      sync.RWMutex
	pools   map[string]*pool
	clients map[string]*client // by client ID, across pools (InitiateAuth names no pool)

	stats map[string]*opCounters // fixed at New: read without a lock
}

// costScale turns an operation's fractional cost (quota.Op.Cost) into whole
// limiter units: 1 = 60 units, 1/3 = 20 units.
const costScale = 60

// New returns an emulator with no pools. It panics if opts.Validate fails.
func New(opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic("emulator: " + err.Error())
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Int64()
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	s := &Server{
		opts:     opts,
		started:  time.Now(),
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>1^0x9e3779b97f4a7c15)),
		faultRng: rand.New(rand.NewPCG(uint64(seed)^0x5851f42d4c957f2d, uint64(seed)>>3)),
		pools:    map[string]*pool{},
		clients:  map[string]*client{},
		limiters: map[quota.Category]*rate.Limiter{},
		stats:    map[string]*opCounters{unknownOp: {}},
	}
	s.secret = make([]byte, 32)
	for i := range s.secret {
		s.secret[i] = byte(s.rng.Uint32())
	}
	for name := range operations {
		s.stats[name] = &opCounters{}
	}
	for cat, rps := range opts.Quota {
		if rps <= 0 {
			continue
		}
		// The burst is one second's worth of calls: Cognito documents rates,
		// not bucket sizes, and a one-second bucket lets a client that paces
		// at exactly the quota absorb scheduling jitter without throttles.
		units := rps * costScale
		s.limiters[cat] = rate.NewLimiter(rate.Limit(units), int(math.Ceil(units)))
	}
	if len(opts.Quota) > 0 {
		switch {
		case opts.PerUserWriteRPS == 0:
			s.perUser = DefaultPerUserWriteRPS
		case opts.PerUserWriteRPS > 0:
			s.perUser = opts.PerUserWriteRPS
		}
	}
	return s
}

// Stats returns the per-operation counts of calls so far. Operations never
// called are left out.
func (s *Server) Stats() map[string]OpStats {
	out := map[string]OpStats{}
	for name, c := range s.stats {
		st := OpStats{Calls: c.calls.Load(), Throttled: c.throttled.Load(), Faults: c.faults.Load(), Errors: c.errors.Load(), Lost: c.lost.Load()}
		if st.Calls > 0 {
			out[name] = st
		}
	}
	return out
}

// FormatStats writes one line per operation called, sorted by name, with a
// header: the summary the emulator command prints when it stops.
func FormatStats(w io.Writer, stats map[string]OpStats) error {
	names := make([]string, 0, len(stats))
	for name := range stats {
		names = append(names, name)
	}
	sort.Strings(names)
	if _, err := fmt.Fprintf(w, "%-28s %10s %10s %8s %8s\n", "operation", "calls", "throttled", "faults", "errors"); err != nil {
		return err
	}
	for _, name := range names {
		st := stats[name]
		if _, err := fmt.Fprintf(w, "%-28s %10d %10d %8d %8d\n", name, st.Calls, st.Throttled, st.Faults, st.Errors); err != nil {
			return err
		}
	}
	return nil
}

// operations maps an X-Amz-Target operation name to its handler. Every
// handler decodes its own request and returns a response to encode as JSON,
// or an *apiError.
var operations = map[string]func(*Server, []byte) (any, error){
	"CreateUserPool":              (*Server).opCreateUserPool,
	"DescribeUserPool":            (*Server).opDescribeUserPool,
	"CreateUserPoolClient":        (*Server).opCreateUserPoolClient,
	"AdminCreateUser":             (*Server).opAdminCreateUser,
	"AdminGetUser":                (*Server).opAdminGetUser,
	"ListUsers":                   (*Server).opListUsers,
	"AdminSetUserPassword":        (*Server).opAdminSetUserPassword,
	"AdminResetUserPassword":      (*Server).opAdminResetUserPassword,
	"ChangePassword":              (*Server).opChangePassword,
	"AdminInitiateAuth":           (*Server).opAdminInitiateAuth,
	"InitiateAuth":                (*Server).opInitiateAuth,
	"RespondToAuthChallenge":      (*Server).opRespondToAuthChallenge,
	"AdminRespondToAuthChallenge": (*Server).opAdminRespondToAuthChallenge,
	"AdminDisableUser":            (*Server).opAdminDisableUser,
	"AdminEnableUser":             (*Server).opAdminEnableUser,
	"AdminUserGlobalSignOut":      (*Server).opAdminUserGlobalSignOut,
}

func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorf("SerializationException", "field %s: cannot read a JSON %s as %s", te.Field, te.Value, te.Type)
		}
		return errorf("SerializationException", "malformed JSON request: %v", err)
	}
	return nil
}

// Validation errors, worded as Cognito words them.

func notNull(field string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func invalidValue(field, value, constraint string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// invalidSecret is a validation error that, like Cognito's, does not echo
// the value: it is a password.
func invalidSecret(field, constraint string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}

// apiError is an error response in Cognito's shape.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	op, known := operations[name]
	if r.Method != http.MethodPost || !ok || !known {
		s.stats[unknownOp].calls.Add(1)
		s.stats[unknownOp].errors.Add(1)
		switch {
		case r.Method != http.MethodPost:
			writeError(w, errorf("UnknownOperationException", "unknown operation: %s %s (the emulator answers POST / with an X-Amz-Target header)", r.Method, r.URL.Path))
		case target == "":
			writeError(w, errorf("UnknownOperationException", "unknown operation: missing X-Amz-Target header"))
		default:
			writeError(w, errorf("UnknownOperationException", "unknown operation %s", target))
		}
		return
	}
	c := s.stats[name]
	c.calls.Add(1)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		c.errors.Add(1)
		writeError(w, errorf("SerializationException", "cannot read request body: %v", err))
		return
	}
	if len(body) > maxBody {
		c.errors.Add(1)
		writeError(w, errorf("SerializationException", "request body is larger than %d bytes", maxBody))
		return
	}

	if err := s.delay(r.Context()); err != nil {
		return // the client went away
	}
	if !s.allow(name) {
		c.throttled.Add(1)
		writeError(w, errorf("TooManyRequestsException", "Rate exceeded"))
		return
	}
	if s.opts.FaultRate > 0 && s.float() < s.opts.FaultRate {
		c.faults.Add(1)
		writeError(w, &apiError{Code: "InternalErrorException", Message: "Internal server error", Status: http.StatusInternalServerError})
		return
	}

	resp, err := op(s, body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Code: "InternalErrorException", Message: err.Error(), Status: http.StatusInternalServerError}
		}
		if ae.Code == "TooManyRequestsException" {
			c.throttled.Add(1)
		} else {
			c.errors.Add(1)
		}
		writeError(w, ae)
		return
	}
	out, err := json.Marshal(resp)
	if err != nil {
		c.errors.Add(1)
		writeError(w, &apiError{Code: "InternalErrorException", Message: "encode response: " + err.Error(), Status: http.StatusInternalServerError})
		return
	}
	if kind, lost := s.afterApply(name); lost {
		c.faults.Add(1)
		c.lost.Add(1)
		loseAnswer(w, kind, out, s.requestID())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Requestid", s.requestID())
	// An explicit length, as Cognito sends, rather than a chunked body.
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Errortype", e.Code)
	out, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(out)
}

// allow takes the operation's cost from its category's bucket.
func (s *Server) allow(name string) bool {
	op, ok := quota.Lookup(name)
	if !ok {
		return true
	}
	lim := s.limiters[op.Category]
	if lim == nil {
		return true
	}
	return lim.AllowN(time.Now(), int(math.Round(op.Cost*costScale)))
}

// delay sleeps for the configured latency and jitter.
func (s *Server) delay(ctx context.Context) error {
	d := s.opts.Latency
	if j := s.opts.LatencyJitter; j > 0 {
		d += time.Duration((s.float()*2 - 1) * float64(j))
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) float() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Server) randomBytes(b []byte) {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	for i := 0; i < len(b); i += 8 {
		v := s.rng.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

func (s *Server) requestID() string {
	var b [16]byte
	s.randomBytes(b[:])
	return formatUUID(uuid4(b))
}

// uuid4 marks 16 random bytes as a version 4 UUID.
func uuid4(b [16]byte) [16]byte {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

func formatUUID(b [16]byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[v>>4], hex[v&0xf])
	}
	return string(out)
}

// sinceStart is a monotonic clock reading for the per-user buckets.
func (s *Server) sinceStart() time.Duration { return time.Since(s.started) }
