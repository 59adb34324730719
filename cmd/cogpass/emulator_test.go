package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cogpass/cognito"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

// syncBuffer is a bytes.Buffer safe for the emulator goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startEmulator runs the command until the test ends and returns its URL,
// a stop function (the SIGINT path: cancel the context) and its stderr.
func startEmulator(t *testing.T, args ...string) (url string, stop func() error, stderr *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	stderr = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := runEmulator(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), pw, stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no listening line: %v (stderr: %s)", err, stderr)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	go io.Copy(io.Discard, pr) // nothing else may reach stdout; see below
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the emulator did not stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return url, stop, stderr
}

func sdk(url string) *cip.Client {
	return cip.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")},
		func(o *cip.Options) {
			o.BaseEndpoint = aws.String(url)
			o.Retryer = aws.NopRetryer{}
			o.HTTPClient = cognito.OwnBody{Client: &http.Client{}} // as newClient does
		})
}

func TestEmulatorCommand(t *testing.T) {
	url, stop, stderr := startEmulator(t, "--pool-id", "us-east-1_Cmd", "--seed-users", "25", "--seed-password", "Seed!pass1")
	api := sdk(url)
	ctx := t.Context()
	out, err := api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String("us-east-1_Cmd")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 25 || aws.ToString(out.Users[24].Username) != "user000025" {
		t.Errorf("%d users", len(out.Users))
	}
	if _, err := api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String("us-east-1_Cmd"), ClientId: aws.String("democlient"),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "user000003", "PASSWORD": "Seed!pass1"}}); err != nil {
		t.Errorf("sign in with the seed password: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, want := range []string{"emulator: stopped", "ListUsers", "AdminInitiateAuth", "throttled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestEmulatorFaultFlags: the fault modes reach the emulator the command
// runs.
func TestEmulatorFaultFlags(t *testing.T) {
	reset := func(api *cip.Client, user string) error {
		_, err := api.AdminResetUserPassword(t.Context(), &cip.AdminResetUserPasswordInput{UserPoolId: aws.String("us-east-1_Demo"), Username: aws.String(user)})
		return err
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}
	url, _, _ := startEmulator(t, "--seed-users", "3", "--email-daily-cap", "2")
	api := sdk(url)
	for i, want := range []string{"<nil>", "<nil>", "LimitExceededException"} {
		if got := code(reset(api, fmt.Sprintf("user%06d", i+1))); got != want {
			t.Errorf("reset %d: %s, want %s", i+1, got, want)
		}
	}

	url, _, _ = startEmulator(t, "--seed-users", "1", "--lambda-fault", "InvalidLambdaResponse")
	if got := code(reset(sdk(url), "user000001")); got != "InvalidLambdaResponseException" {
		t.Errorf("reset with --lambda-fault: %s", got)
	}

	url, _, _ = startEmulator(t, "--seed-users", "1", "--fault-after-apply", "1:500")
	api = sdk(url)
	if got := code(reset(api, "user000001")); got != "InternalErrorException" {
		t.Errorf("reset with --fault-after-apply 1:500: %s", got)
	}
	out, err := api.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Demo"), Username: aws.String("user000001")})
	if err != nil || out.UserStatus != "RESET_REQUIRED" {
		t.Errorf("after a lost answer: %v %v, want RESET_REQUIRED (applied)", out.UserStatus, err)
	}
}

// TestEmulatorPoolKindFlags: the pool the command makes can sign users in
// by e-mail, and refuse resets (admin_only recovery).
func TestEmulatorPoolKindFlags(t *testing.T) {
	url, _, _ := startEmulator(t, "--seed-users", "2", "--username-attributes", "email", "--account-recovery", "admin_only")
	api := sdk(url)
	got, err := api.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Demo"), Username: aws.String("user000001@example.com")})
	if err != nil || len(aws.ToString(got.Username)) != 36 {
		t.Fatalf("AdminGetUser by e-mail: %v %v", got, err)
	}
	_, err = api.AdminResetUserPassword(t.Context(), &cip.AdminResetUserPasswordInput{UserPoolId: aws.String("us-east-1_Demo"), Username: got.Username})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotAuthorizedException" {
		t.Errorf("reset in an admin_only pool: %v", err)
	}
}

// TestEmulatorSeedManifest is the command's part of seeding from a
// manifest: the format by extension, the count, the warning about repeated
// usernames and the file's name in an error. What a row seeds is
// emulator's TestSeedFromManifest.
func TestEmulatorSeedManifest(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "users.csv")
	csvText := "\ufeffusername,password,status,email,email_verified,enabled,last_modified\r\n" +
		"alice,x,,,,,\r\n" +
		"bob,,FORCE_CHANGE_PASSWORD,bob@corp.example,false,false,2024-01-02T03:04:05Z\r\n" +
		"\r\n" +
		"alice,,,,,,\r\n"
	jsonlPath := filepath.Join(dir, "users.jsonl")
	jsonlText := `{"username":"carol","status":"RESET_REQUIRED","sub":"0f8fad5b-d9cb-469f-a165-70867728950e"}` + "\n\n" + `{"username":"dave","enabled":false}` + "\n"
	badPath := filepath.Join(dir, "bad.csv")
	badText := "username,enabled\nann,true\nben,maybe\n"
	for path, text := range map[string]string{csvPath: csvText, jsonlPath: jsonlText, badPath: badText} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		path  string
		users map[string]string // username -> status
	}{
		{csvPath, map[string]string{"alice": "CONFIRMED", "bob": "FORCE_CHANGE_PASSWORD"}},
		{jsonlPath, map[string]string{"carol": "RESET_REQUIRED", "dave": "CONFIRMED"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			url, stop, stderr := startEmulator(t, "--seed-manifest", tt.path, "--quota", "off")
			api := sdk(url)
			for name, want := range tt.users {
				u, err := api.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Demo"), Username: aws.String(name)})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if string(u.UserStatus) != want {
					t.Errorf("%s: %s, want %s", name, u.UserStatus, want)
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stderr.String(), ", 2 users,") {
				t.Errorf("no count of 2 users:\n%s", stderr)
			}
			if strings.HasSuffix(tt.path, ".csv") && !strings.Contains(stderr.String(), "skipped 1 repeated usernames") {
				t.Errorf("no warning about the repeated alice:\n%s", stderr)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	err := runEmulator(t.Context(), []string{"--listen", "127.0.0.1:0", "--seed-manifest", badPath}, &stdout, &stderr)
	if want := "emulator: seed manifest: " + badPath + `:3: enabled "maybe": want true or false`; err == nil || err.Error() != want {
		t.Errorf("a bad row: %v, want %s", err, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q", stdout.String())
	}
}

func TestEmulatorFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--seed-users", "3", "--seed-manifest", "x.csv"}, "not both"},
		{[]string{"--quota", "Bogus=3"}, "unknown quota category"},
		{[]string{"--fault-rate", "2"}, "--fault-rate"},
		{[]string{"--seed-password", "weak"}, "Password did not conform"},
		{[]string{"--seed-manifest", "/nonexistent/users.csv"}, "seed manifest"},
		{[]string{"--pool-id", "nounderscore"}, "pool ID"},
		{[]string{"--listen", "127.0.0.1:0", "extra"}, "unexpected argument"},
		{[]string{"--no-such-flag"}, "unknown flag --no-such-flag"},
		{[]string{"--fault-rate", "NaN"}, "--fault-rate"},
		{[]string{"--email-daily-cap", "-1"}, "--email-daily-cap"},
		{[]string{"--lambda-fault", "NotAuthorizedException"}, "--lambda-fault"},
		{[]string{"--lambda-fault", "UnexpectedLambdaException:1.5"}, "--lambda-fault"},
		{[]string{"--fault-after-apply", "NaN"}, "--fault-after-apply"},
		{[]string{"--fault-after-apply", "1:explode"}, "--fault-after-apply"},
		{[]string{"--account-recovery", "admin_only,verified_email"}, "admin_only"},
		{[]string{"--username-attributes", "nickname"}, "username attribute"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runEmulator(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}
