package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault modes beyond the random InternalErrorException of Options.FaultRate:
// the default e-mail sender's daily cap, a failing Lambda trigger, and a
// write that is applied but whose answer is lost. Each is an option of New
// and a flag of `cogpass emulator`, and draws from its own seeded random
// stream, so a run with the same seed and the same sequence of calls fails
// the same calls.

// CognitoDefaultEmailDailyCap is the number of e-mail messages Cognito's
// default sender (EmailSendingAccount COGNITO_DEFAULT) delivers a day:
// "Maximum number of email messages sent daily per AWS account: 50",
// non-adjustable (developer guide, Quotas in Amazon Cognito, non-adjustable
// resource quotas). Past it Cognito answers LimitExceededException.
const CognitoDefaultEmailDailyCap = 50

// emailCapMessage is Cognito's message for the exhausted default sender.
const emailCapMessage = "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email."

// Lambda trigger failures, as the service model names them. In
// botocore's cognito-idp service-2.json, of the operations the emulator
// serves, AdminResetUserPassword, AdminCreateUser and the sign-in
// operations list them; AdminSetUserPassword and ChangePassword invoke no
// trigger and do not.
const (
	UnexpectedLambdaException      = "UnexpectedLambdaException"
	InvalidLambdaResponseException = "InvalidLambdaResponseException"
	UserLambdaValidationException  = "UserLambdaValidationException"
)

// LambdaFault makes the pool's custom message trigger fail. Cognito invokes
// that trigger before every message it sends: the reset code of
// AdminResetUserPassword and the invitation of AdminCreateUser (unless
// MessageAction is SUPPRESS). A failing invocation fails the call with
// Code and changes nothing.
type LambdaFault struct {
	// Code is UnexpectedLambdaException, InvalidLambdaResponseException or
	// UserLambdaValidationException; empty: no Lambda faults.
	Code string
	// Rate is the fraction (0..1] of invocations that fail; 0 with a Code
	// means every one.
	Rate float64
}

// lambdaMessages are the messages Cognito gives for each code when the
// custom message trigger fails.
var lambdaMessages = map[string]string{
	UnexpectedLambdaException:      "CustomMessage invocation failed due to error TooManyRequestsException.",
	InvalidLambdaResponseException: "Invalid lambda response: the CustomMessage trigger returned an invalid response.",
	UserLambdaValidationException:  "CustomMessage failed with error cogpass emulator: the trigger refused the message.",
}

// ParseLambdaFault parses CODE[:RATE], e.g. "UnexpectedLambdaException" or
// "UserLambdaValidationException:0.25". The code may be given in any letter
// case and without its "Exception" suffix.
func ParseLambdaFault(spec string) (LambdaFault, error) {
	code, rate, hasRate := strings.Cut(strings.TrimSpace(spec), ":")
	var f LambdaFault
	for c := range lambdaMessages {
		if strings.EqualFold(code, c) || strings.EqualFold(code+"Exception", c) {
			f.Code = c
		}
	}
	if f.Code == "" {
		return f, fmt.Errorf("lambda fault %q: want %s, %s or %s, optionally followed by :RATE", code,
			UnexpectedLambdaException, InvalidLambdaResponseException, UserLambdaValidationException)
	}
	f.Rate = 1
	if hasRate {
		r, err := strconv.ParseFloat(rate, 64)
		if err != nil || !(r > 0 && r <= 1) {
			return f, fmt.Errorf("lambda fault rate %q: want a fraction above 0 and at most 1", rate)
		}
		f.Rate = r
	}
	return f, nil
}

func (f LambdaFault) validate() error {
	if f.Code == "" {
		return nil
	}
	if _, ok := lambdaMessages[f.Code]; !ok {
		return fmt.Errorf("lambda fault code %q: want %s, %s or %s", f.Code,
			UnexpectedLambdaException, InvalidLambdaResponseException, UserLambdaValidationException)
	}
	if !(f.Rate >= 0 && f.Rate <= 1) {
		return fmt.Errorf("lambda fault rate %v: want a fraction between 0 and 1", f.Rate)
	}
	return nil
}

// AfterApplyKind is how the answer to an applied write is lost.
type AfterApplyKind string

const (
	// AfterApply500 answers HTTP 500 InternalErrorException: the client
	// is told the call failed, yet it was applied.
	AfterApply500 AfterApplyKind = "500"
	// AfterApplyDrop closes the connection without an answer: the client
	// sees EOF or a reset connection.
	AfterApplyDrop AfterApplyKind = "drop"
	// AfterApplyTruncated answers HTTP 200 with a Content-Length larger than
	// the body it sends, then closes the connection: the status says
	// success, the body cannot be read.
	AfterApplyTruncated AfterApplyKind = "truncated"
)

// AfterApplyKinds lists every kind, in the order a seeded choice uses.
var AfterApplyKinds = []AfterApplyKind{AfterApply500, AfterApplyDrop, AfterApplyTruncated}

// AfterApplyFault makes a write succeed and then loses its answer: the
// ambiguous outcome a client must treat as "may have been applied". Writes
// are the operations that change a user (see writeOps); a call that fails
// (wrong password, user not found, ...) is answered normally.
type AfterApplyFault struct {
	// Rate is the fraction (0..1) of successful writes whose answer is
	// lost; 0 means none.
	Rate float64
	// Kinds are the ways to lose it; each fault picks one at random
	// (seeded). Empty: all of AfterApplyKinds.
	Kinds []AfterApplyKind
	// Operations limits the fault to these operations; empty: every write.
	Operations []string
	// Limit stops the faults after this many; 0: no limit. With Rate 1 and
	// Limit 1, exactly the first write's answer is lost, so a test can
	// check what a retry meets.
	Limit int
}

// ParseAfterApplyFault parses RATE[:KIND[,KIND...]], e.g. "0.1",
// "1:drop" or "0.2:500,truncated".
func ParseAfterApplyFault(spec string) (AfterApplyFault, error) {
	rate, kinds, hasKinds := strings.Cut(strings.TrimSpace(spec), ":")
	var f AfterApplyFault
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || !(r >= 0 && r <= 1) {
		return f, fmt.Errorf("fault after apply rate %q: want a fraction between 0 and 1", rate)
	}
	f.Rate = r
	if hasKinds {
		for _, k := range strings.Split(kinds, ",") {
			kind := AfterApplyKind(strings.ToLower(strings.TrimSpace(k)))
			if !slices.Contains(AfterApplyKinds, kind) {
				return f, fmt.Errorf("fault after apply kind %q: want 500, drop or truncated", k)
			}
			f.Kinds = append(f.Kinds, kind)
		}
	}
	return f, nil
}

func (f AfterApplyFault) validate() error {
	if !(f.Rate >= 0 && f.Rate <= 1) {
		return fmt.Errorf("fault after apply rate %v: want a fraction between 0 and 1", f.Rate)
	}
	for _, k := range f.Kinds {
		if !slices.Contains(AfterApplyKinds, k) {
			return fmt.Errorf("fault after apply kind %q: want 500, drop or truncated", k)
		}
	}
	for _, op := range f.Operations {
		if !writeOps[op] {
			return fmt.Errorf("fault after apply operation %q: not a write the emulator serves", op)
		}
	}
	if f.Limit < 0 {
		return errors.New("fault after apply limit must not be negative")
	}
	return nil
}

// writeOps are the operations that change state, whose answer an
// AfterApplyFault may lose.
var writeOps = map[string]bool{
	"AdminCreateUser": true, "AdminSetUserPassword": true, "AdminResetUserPassword": true, "ChangePassword": true,
	"AdminDisableUser": true, "AdminEnableUser": true, "AdminUserGlobalSignOut": true,
	"RespondToAuthChallenge": true, "AdminRespondToAuthChallenge": true,
}

// faultState is the mutable part of the fault modes.
type faultState struct {
	emailDay   int64 // days since the epoch (UTC) that emailsSent counts
	emailsSent int
	afterApply int // faults after apply so far
}

// faultFloat draws from the fault modes' own random stream.
func (s *Server) faultFloat() float64 {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faultRng.Float64()
}

// Medium is how Cognito delivers a message.
const (
	mediumNone  = ""
	mediumEmail = "EMAIL"
	mediumSMS   = "SMS"
)

// inviteMedium is how AdminCreateUser's invitation goes out:
// DesiredDeliveryMediums, SMS when not given (API reference,
// AdminCreateUser); e-mail only to a user who has an address.
func inviteMedium(u *user, desired []string) string {
	if slices.Contains(desired, mediumEmail) && u.emailAddr() != "" {
		return mediumEmail
	}
	if len(desired) == 0 || slices.Contains(desired, mediumSMS) {
		return mediumSMS
	}
	return mediumNone
}

// sendMessage is Cognito sending a message to a user: the custom message
// trigger runs first (and may fail with a Lambda fault), then the message
// goes out by medium; e-mail from a COGNITO_DEFAULT pool counts against
// the account's daily cap. It changes nothing when it fails, and the caller
// applies its write only after it succeeds.
func (s *Server) sendMessage(p *pool, medium string) error {
	if f := s.opts.LambdaFault; f.Code != "" {
		rate := f.Rate
		if rate == 0 {
			rate = 1
		}
		if rate >= 1 || s.faultFloat() < rate {
			return errorf(f.Code, "%s", lambdaMessages[f.Code])
		}
	}
	if medium != mediumEmail || p.emailSendingAccount != "COGNITO_DEFAULT" || s.opts.EmailDailyCap <= 0 {
		return nil
	}
	day := time.Now().UTC().Unix() / 86400
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faults.emailDay != day {
		s.faults.emailDay, s.faults.emailsSent = day, 0
	}
	if s.faults.emailsSent >= s.opts.EmailDailyCap {
		return errorf("LimitExceededException", "%s", emailCapMessage)
	}
	s.faults.emailsSent++
	return nil
}

// EmailsSent returns how many e-mails the COGNITO_DEFAULT pools sent today
// (UTC) while a cap was set.
func (s *Server) EmailsSent() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faults.emailDay != time.Now().UTC().Unix()/86400 {
		return 0
	}
	return s.faults.emailsSent
}

// afterApply decides whether the answer to an applied write is lost, and
// how.
func (s *Server) afterApply(op string) (AfterApplyKind, bool) {
	f := &s.opts.FaultAfterApply
	if f.Rate <= 0 || !writeOps[op] || (len(f.Operations) > 0 && !slices.Contains(f.Operations, op)) {
		return "", false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if f.Limit > 0 && s.faults.afterApply >= f.Limit {
		return "", false
	}
	if f.Rate < 1 && s.faultRng.Float64() >= f.Rate {
		return "", false
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = AfterApplyKinds
	}
	kind := kinds[0]
	if len(kinds) > 1 {
		kind = kinds[s.faultRng.IntN(len(kinds))]
	}
	s.faults.afterApply++
	return kind, true
}

// loseAnswer answers an applied write in the way kind says. The drop and
// the truncated body abort the handler with http.ErrAbortHandler, which
// makes the server close the connection without logging.
func loseAnswer(w http.ResponseWriter, kind AfterApplyKind, out []byte, requestID string) {
	switch kind {
	case AfterApply500:
		writeError(w, &apiError{Code: "InternalErrorException", Message: "Internal server error", Status: http.StatusInternalServerError})
	case AfterApplyDrop:
		panic(http.ErrAbortHandler)
	case AfterApplyTruncated:
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Requestid", requestID)
		h.Set("Content-Length", strconv.Itoa(len(out)+16))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out[:len(out)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
}
