package cognito

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// modelErrors is each operation cogpass calls with the errors the service
// model lists for it: botocore/data/cognito-idp/2016-04-18/service-2.json,
// botocore commit 0e6e2404b, "errors" of each operation.
var modelErrors = map[string][]string{
	"AdminSetUserPassword": {"ResourceNotFoundException", "NotAuthorizedException", "UserNotFoundException",
		"InternalErrorException", "TooManyRequestsException", "InvalidParameterException", "InvalidPasswordException",
		"PasswordHistoryPolicyViolationException", "OperationNotEnabledException"},
	"AdminResetUserPassword": {"ResourceNotFoundException", "InvalidParameterException", "UnexpectedLambdaException",
		"UserLambdaValidationException", "NotAuthorizedException", "InvalidLambdaResponseException",
		"TooManyRequestsException", "LimitExceededException", "UserNotFoundException",
		"InvalidSmsRoleAccessPolicyException", "InvalidEmailRoleAccessPolicyException",
		"InvalidSmsRoleTrustRelationshipException", "OperationNotEnabledException", "InternalErrorException"},
	"ChangePassword": {"ResourceNotFoundException", "InvalidParameterException", "InvalidPasswordException",
		"PasswordHistoryPolicyViolationException", "NotAuthorizedException", "TooManyRequestsException",
		"LimitExceededException", "PasswordResetRequiredException", "UserNotFoundException",
		"UserNotConfirmedException", "OperationNotEnabledException", "InternalErrorException", "ForbiddenException"},
	"AdminGetUser": {"ResourceNotFoundException", "InvalidParameterException", "TooManyRequestsException",
		"NotAuthorizedException", "UserNotFoundException", "OperationNotEnabledException", "InternalErrorException"},
	"DescribeUserPool": {"ResourceNotFoundException", "InvalidParameterException", "TooManyRequestsException",
		"NotAuthorizedException", "UserPoolTaggingException", "OperationNotEnabledException", "InternalErrorException"},
	"ListUsers": {"InvalidParameterException", "ResourceNotFoundException", "TooManyRequestsException",
		"NotAuthorizedException", "OperationNotEnabledException", "InternalErrorException"},
	"AdminUserGlobalSignOut": {"ResourceNotFoundException", "InvalidParameterException", "TooManyRequestsException",
		"NotAuthorizedException", "UserNotFoundException", "OperationNotEnabledException", "InternalErrorException"},
}

// wantClass is the decision for each code the model lists (docs/errors.md
// gives the reasons).
var wantClass = map[string]Class{
	"UserNotFoundException":                    Permanent,
	"InvalidParameterException":                Permanent,
	"InvalidPasswordException":                 Permanent,
	"PasswordHistoryPolicyViolationException":  Permanent,
	"NotAuthorizedException":                   Permanent,
	"PasswordResetRequiredException":           Permanent,
	"UserNotConfirmedException":                Permanent,
	"TooManyRequestsException":                 Throttle,
	"LimitExceededException":                   LimitExceeded,
	"InternalErrorException":                   Retryable,
	"UnexpectedLambdaException":                PoolLevel,
	"InvalidLambdaResponseException":           PoolLevel,
	"UserLambdaValidationException":            PoolLevel,
	"ResourceNotFoundException":                Fatal,
	"OperationNotEnabledException":             Fatal,
	"InvalidSmsRoleAccessPolicyException":      Fatal,
	"InvalidSmsRoleTrustRelationshipException": Fatal,
	"InvalidEmailRoleAccessPolicyException":    Fatal,
	"ForbiddenException":                       Fatal,
	"UserPoolTaggingException":                 Fatal,
}

// TestServiceModelErrors: every error the model lists for an operation
// cogpass calls is in the table, with the class decided for it; none is left
// to the status fallback.
func TestServiceModelErrors(t *testing.T) {
	for op, errs := range modelErrors {
		for _, code := range errs {
			want, ok := wantClass[code]
			if !ok {
				t.Errorf("%s: %s has no decided class", op, code)
				continue
			}
			got, ok := codes[code]
			if !ok || got != want {
				t.Errorf("%s: %s is %v (in table: %v), want %v", op, code, got, ok, want)
			}
		}
	}
}

// TestServiceModelCoversAPI: every operation of the API interface has its
// model errors listed above, so that an operation added to API cannot
// reach the job with codes nobody classified.
func TestServiceModelCoversAPI(t *testing.T) {
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		if op := api.Method(i).Name; modelErrors[op] == nil {
			t.Errorf("API.%s: no errors listed in modelErrors (copy them from botocore's cognito-idp service-2.json)", op)
		}
	}
}

// TestPoolLevelCode: the predicate the consecutive-row breaker keys on.
func TestPoolLevelCode(t *testing.T) {
	for code, want := range map[string]bool{
		"UnexpectedLambdaException": true, "InvalidLambdaResponseException": true, "UserLambdaValidationException": true,
		"InternalErrorException": false, "UserNotFoundException": false, "LimitExceededException": false,
		"ForbiddenException": false, "": false, "HTTP500": false, "SomethingNew": false,
	} {
		if got := PoolLevelCode(code); got != want {
			t.Errorf("PoolLevelCode(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestRetryClass(t *testing.T) {
	tests := []struct {
		class       Class
		maxAttempts int
		attempts    int
		want        bool
	}{
		{Retryable, 10, 1, true},
		{Retryable, 10, 9, true},
		{Retryable, 10, 10, false},
		{Retryable, 1, 1, false}, // --max-attempts 1: nothing is retried
		{Throttle, 10, 5, true},
		{Throttle, 1, 1, false},
		{PoolLevel, 10, 1, true},
		{PoolLevel, 10, PoolLevelAttempts, false}, // one more attempt, no more
		{PoolLevel, 1, 1, false},
		{Permanent, 10, 1, false},
		{LimitExceeded, 10, 1, false},
		{Fatal, 10, 1, false},
	}
	for _, tt := range tests {
		b := Backoff{MaxAttempts: tt.maxAttempts}
		if got := b.RetryClass(tt.class, tt.attempts); got != tt.want {
			t.Errorf("max %d: RetryClass(%v, %d) = %v, want %v", tt.maxAttempts, tt.class, tt.attempts, got, tt.want)
		}
	}
}

// TestErrorsDoc: docs/errors.md lists every code of the table with its
// class, and no code the table does not hold.
func TestErrorsDoc(t *testing.T) {
	b, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([A-Za-z0-9]+)` \\| ([a-z-]+) \\|")
	doc := map[string]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			if _, dup := doc[m[1]]; dup {
				t.Errorf("docs/errors.md lists %s twice", m[1])
			}
			doc[m[1]] = m[2]
		}
	}
	for code, class := range codes {
		if got, ok := doc[code]; !ok {
			t.Errorf("docs/errors.md does not list %s", code)
		} else if got != class.String() {
			t.Errorf("docs/errors.md: %s is %s, the table says %s", code, got, class)
		}
	}
	var extra []string
	for code := range doc {
		if _, ok := codes[code]; !ok {
			extra = append(extra, code)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		t.Errorf("docs/errors.md lists codes the table does not hold: %v", extra)
	}
}
