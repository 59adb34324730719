package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cogpass/cognito"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

const (
	poolID   = "us-east-1_Test"
	clientID = "testclient"
	goodPW   = "Passw0rd!"
	otherPW  = "0therPassw0rd!"
)

// env is an emulator behind a real HTTP server and an SDK client for it.
type env struct {
	srv *emulator.Server
	url string
	api *cip.Client
	ctx context.Context
}

// newEnv starts an emulator with one pool (default policy, case-insensitive)
// and one client with both password flows.
func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	srv := emulator.New(opts)
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateClient(emulator.ClientConfig{PoolID: poolID, ID: clientID}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{srv: srv, url: hs.URL, api: newClient(hs.URL), ctx: t.Context()}
}

// newClient is the SDK client cogpass itself uses, with retries off so that
// every error reaches the test.
func newClient(url string) *cip.Client {
	return cip.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
	}, func(o *cip.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = aws.NopRetryer{}
		o.HTTPClient = cognito.OwnBody{Client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	})
}

func (e *env) add(t *testing.T, u emulator.SeedUser) {
	t.Helper()
	if err := e.srv.AddUser(poolID, u); err != nil {
		t.Fatal(err)
	}
}

func (e *env) status(t *testing.T, username string) string {
	t.Helper()
	out, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	if err != nil {
		t.Fatalf("AdminGetUser %s: %v", username, err)
	}
	return string(out.UserStatus)
}

// wantErr checks that err is the API error code with the message (when
// msg is not empty).
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func rawCall(t *testing.T, url, op, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

func startEnv(t *testing.T, srv *emulator.Server) *env {
	t.Helper()
	if _, err := srv.CreateClient(emulator.ClientConfig{PoolID: poolID, ID: clientID}); err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, ctx: t.Context()}
	hs := newHTTPServer(t, srv)
	e.url, e.api = hs, newClient(hs)
	return e
}

func adminAuth(user, pw string) *cip.AdminInitiateAuthInput {
	return &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw},
	}
}
