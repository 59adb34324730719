package emulator_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

func resetUser(e *env, pool, user string) error {
	_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(user)})
	return err
}

func TestEmailDailyCap(t *testing.T) {
	const devPool = "us-east-1_Dev"
	e := newEnv(t, emulator.Options{EmailDailyCap: 3})
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: devPool, EmailSendingAccount: "DEVELOPER"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		name := fmt.Sprintf("u%d", i)
		e.add(t, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true})
		if err := e.srv.AddUser(devPool, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.add(t, emulator.SeedUser{Username: "sms", Phone: "+15555550100", PhoneVerified: true})
	for i := range 3 {
		if err := resetUser(e, poolID, fmt.Sprintf("u%d", i)); err != nil {
			t.Fatalf("reset %d under the cap: %v", i, err)
		}
	}
	err := resetUser(e, poolID, "u3")
	wantErr(t, err, "LimitExceededException", "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.")
	if st := e.status(t, "u3"); st != emulator.StatusConfirmed {
		t.Errorf("a reset refused by the cap changed the user to %s", st)
	}
	if n := e.srv.EmailsSent(); n != 3 {
		t.Errorf("EmailsSent = %d, want 3", n)
	}
	// A code sent by SMS, and any message from a pool with its own SES
	// (DEVELOPER), do not count.
	if err := resetUser(e, poolID, "sms"); err != nil {
		t.Errorf("reset by SMS past the e-mail cap: %v", err)
	}
	for i := range 5 {
		if err := resetUser(e, devPool, fmt.Sprintf("u%d", i)); err != nil {
			t.Errorf("reset in a DEVELOPER pool: %v", err)
		}
	}
	// An invitation by e-mail is a message too; a suppressed one is not.
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("new"),
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("new@example.com")}}})
	wantErr(t, err, "LimitExceededException", "")
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("new"),
		MessageAction: types.MessageActionTypeSuppress, DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("new@example.com")}}})
	if err != nil {
		t.Errorf("suppressed invitation past the cap: %v", err)
	}
}

func TestEmailDailyCapCognitoDefault(t *testing.T) {
	e := newEnv(t, emulator.Options{EmailDailyCap: emulator.CognitoDefaultEmailDailyCap})
	for i := range emulator.CognitoDefaultEmailDailyCap + 1 {
		name := fmt.Sprintf("u%03d", i)
		e.add(t, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true})
	}
	for i := range emulator.CognitoDefaultEmailDailyCap {
		if err := resetUser(e, poolID, fmt.Sprintf("u%03d", i)); err != nil {
			t.Fatalf("reset %d: %v", i, err)
		}
	}
	wantErr(t, resetUser(e, poolID, fmt.Sprintf("u%03d", emulator.CognitoDefaultEmailDailyCap)), "LimitExceededException", "")

	// Without the option there is no cap.
	e = newEnv(t, emulator.Options{})
	for i := range emulator.CognitoDefaultEmailDailyCap + 1 {
		name := fmt.Sprintf("u%03d", i)
		e.add(t, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true})
		if err := resetUser(e, poolID, name); err != nil {
			t.Fatalf("reset %d without a cap: %v", i, err)
		}
	}
}

func TestLambdaFault(t *testing.T) {
	for _, code := range []string{emulator.UnexpectedLambdaException, emulator.InvalidLambdaResponseException, emulator.UserLambdaValidationException} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, emulator.Options{LambdaFault: emulator.LambdaFault{Code: code}})
			e.add(t, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true})
			wantErr(t, resetUser(e, poolID, "u"), code, "")
			if st := e.status(t, "u"); st != emulator.StatusConfirmed {
				t.Errorf("a reset whose trigger failed changed the user to %s", st)
			}
			// AdminSetUserPassword invokes no trigger (its service-model
			// errors have no Lambda code).
			if _, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("u"),
				Password: aws.String(goodPW), Permanent: true}); err != nil {
				t.Errorf("AdminSetUserPassword: %v", err)
			}
			// An invitation runs the custom message trigger; a suppressed
			// one sends nothing.
			_, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("n")})
			wantErr(t, err, code, "")
			if _, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("n"),
				MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Errorf("suppressed AdminCreateUser: %v", err)
			}
		})
	}
}

// TestLambdaFaultSeeded: a partial rate fails some calls, the same ones for
// the same seed.
func TestLambdaFaultSeeded(t *testing.T) {
	run := func(seed int64) string {
		e := newEnv(t, emulator.Options{Seed: seed, LambdaFault: emulator.LambdaFault{Code: emulator.UnexpectedLambdaException, Rate: 0.5}})
		var b strings.Builder
		for i := range 40 {
			name := fmt.Sprintf("u%d", i)
			e.add(t, emulator.SeedUser{Username: name, Email: name + "@example.com", EmailVerified: true})
			if resetUser(e, poolID, name) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(11), run(11)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "x"); n < 5 || n > 35 {
		t.Errorf("%d of 40 failed at rate 0.5: %s", n, a)
	}
}

func setPW(e *env, user, pw string) error {
	_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(pw), Permanent: true})
	return err
}

func TestFaultAfterApply(t *testing.T) {
	for _, kind := range emulator.AfterApplyKinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Kinds: []emulator.AfterApplyKind{kind}}})
			e.add(t, emulator.SeedUser{Username: "u", Status: emulator.StatusForceChangePassword, Password: "Temp0rary!pw"})
			err := setPW(e, "u", goodPW)
			if err == nil {
				t.Fatal("the answer was not lost")
			}
			var ae smithy.APIError
			isAPI := errors.As(err, &ae)
			switch kind {
			case emulator.AfterApply500:
				wantErr(t, err, "InternalErrorException", "")
			default:
				if isAPI {
					t.Errorf("got API error %v, want a transport or decoding error", err)
				}
			}
			// The write was applied: the user signs in with the new
			// password (reads are never faulted).
			if st := e.status(t, "u"); st != emulator.StatusConfirmed {
				t.Errorf("status %s after a lost answer, want CONFIRMED (applied)", st)
			}
			if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", goodPW)); err != nil {
				t.Errorf("sign in with the password whose answer was lost: %v", err)
			}
			if st := e.srv.Stats()["AdminSetUserPassword"]; st.Lost != 1 || st.Faults != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestFaultAfterApplyTruncatedRaw: the truncated answer is an HTTP 200
// whose body ends before its Content-Length.
func TestFaultAfterApplyTruncatedRaw(t *testing.T) {
	e := newEnv(t, emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Kinds: []emulator.AfterApplyKind{emulator.AfterApplyTruncated}}})
	e.add(t, emulator.SeedUser{Username: "u"})
	req, _ := http.NewRequest("POST", e.url+"/", strings.NewReader(`{"UserPoolId":"`+poolID+`","Username":"u"}`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDisableUser")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading the body: %v, want unexpected EOF", err)
	}
}

func TestFaultAfterApplyLimitAndOperations(t *testing.T) {
	// Rate 1, limit 1: only the first write's answer is lost.
	e := newEnv(t, emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Limit: 1, Kinds: []emulator.AfterApplyKind{emulator.AfterApply500}}})
	e.add(t, emulator.SeedUser{Username: "u"})
	wantErr(t, setPW(e, "u", goodPW), "InternalErrorException", "")
	if err := setPW(e, "u", otherPW); err != nil {
		t.Errorf("second write after the limit: %v", err)
	}
	// A failed write is answered as it is, and does not use up the limit.
	e = newEnv(t, emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Limit: 1, Kinds: []emulator.AfterApplyKind{emulator.AfterApply500}}})
	e.add(t, emulator.SeedUser{Username: "u"})
	wantErr(t, setPW(e, "u", "weak"), "InvalidPasswordException", "")
	wantErr(t, setPW(e, "nobody", goodPW), "UserNotFoundException", "")
	wantErr(t, setPW(e, "u", goodPW), "InternalErrorException", "")

	// Operations limits the fault to the operations named.
	e = newEnv(t, emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Operations: []string{"ChangePassword"}}})
	e.add(t, emulator.SeedUser{Username: "u"})
	if err := setPW(e, "u", goodPW); err != nil {
		t.Errorf("AdminSetUserPassword, not named: %v", err)
	}
	out, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", goodPW))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: out.AuthenticationResult.AccessToken,
		PreviousPassword: aws.String(goodPW), ProposedPassword: aws.String(otherPW)})
	if err == nil {
		t.Fatal("ChangePassword's answer was not lost")
	}
	// Applied: the retry with the same previous password is refused, the
	// new password signs in.
	_, err = e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: out.AuthenticationResult.AccessToken,
		PreviousPassword: aws.String(goodPW), ProposedPassword: aws.String(otherPW)})
	if errCode(err) == "" {
		t.Error("the retry of an applied ChangePassword succeeded")
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("u", otherPW)); err != nil {
		t.Errorf("sign in with the changed password: %v", err)
	}
}

func TestFaultAfterApplySeeded(t *testing.T) {
	run := func(seed int64) string {
		e := newEnv(t, emulator.Options{Seed: seed, FaultAfterApply: emulator.AfterApplyFault{Rate: 0.5}})
		e.add(t, emulator.SeedUser{Username: "u"})
		var b strings.Builder
		for range 40 {
			_, err := e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
			var ae smithy.APIError
			switch {
			case err == nil:
				b.WriteByte('.')
			case errors.As(err, &ae):
				b.WriteString(ae.ErrorCode()[:1])
			default:
				b.WriteByte('x')
			}
		}
		return b.String()
	}
	a, b := run(5), run(5)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "."); n < 5 || n > 35 {
		t.Errorf("%d of 40 answered at rate 0.5: %s", n, a)
	}
}

func TestParseFaultSpecs(t *testing.T) {
	lf, err := emulator.ParseLambdaFault("userlambdavalidation:0.25")
	if err != nil || lf != (emulator.LambdaFault{Code: emulator.UserLambdaValidationException, Rate: 0.25}) {
		t.Errorf("ParseLambdaFault: %+v %v", lf, err)
	}
	if lf, err := emulator.ParseLambdaFault("UnexpectedLambdaException"); err != nil || lf.Rate != 1 {
		t.Errorf("ParseLambdaFault without a rate: %+v %v", lf, err)
	}
	for _, bad := range []string{"", "NotAuthorizedException", "UnexpectedLambdaException:0", "UnexpectedLambdaException:2", "UnexpectedLambdaException:NaN"} {
		if _, err := emulator.ParseLambdaFault(bad); err == nil {
			t.Errorf("ParseLambdaFault(%q) accepted", bad)
		}
	}
	af, err := emulator.ParseAfterApplyFault("0.2:500,Truncated")
	if err != nil || af.Rate != 0.2 || len(af.Kinds) != 2 || af.Kinds[1] != emulator.AfterApplyTruncated {
		t.Errorf("ParseAfterApplyFault: %+v %v", af, err)
	}
	for _, bad := range []string{"", "x", "1.5", "NaN", "-0.1", "1:lost"} {
		if _, err := emulator.ParseAfterApplyFault(bad); err == nil {
			t.Errorf("ParseAfterApplyFault(%q) accepted", bad)
		}
	}
	if err := (emulator.Options{FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Operations: []string{"AdminGetUser"}}}).Validate(); err == nil {
		t.Error("a read operation accepted for FaultAfterApply")
	}
}
