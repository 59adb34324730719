package cognito

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/logging"
)

// The SDK logs nothing of its own: its lines (WARN falling back to IMDSv1
// while it looks for credentials) would go to os.Stderr beside cogpass's
// one-line error.
func TestSDKLogsNothing(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	client, err := NewClient(context.Background(), Options{Region: "us-east-1", EndpointURL: "https://cognito-idp.us-east-1.amazonaws.com", Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := client.Options().Logger.(logging.Nop); !ok {
		t.Errorf("the SDK client logs with %T, want logging.Nop", client.Options().Logger)
	}
}

// isolate points the SDK at no config, credentials or endpoint of this
// machine's.
func isolate(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
}

// TestNewClient: the SDK's retryer is off, each call is one attempt, sent
// through OwnBody to the endpoint; without a region and an endpoint the
// client is ErrNoRegion, with an endpoint it signs for us-east-1.
func TestNewClient(t *testing.T) {
	isolate(t)
	if _, err := NewClient(t.Context(), Options{}); !errors.Is(err, ErrNoRegion) {
		t.Errorf("no region, no endpoint: err %v, want ErrNoRegion", err)
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"__type":"InternalErrorException","message":"oops"}`))
	}))
	defer srv.Close()
	client, err := NewClient(t.Context(), Options{EndpointURL: srv.URL, Conns: 4, NoInstanceMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := client.Options().Region; got != "us-east-1" {
		t.Errorf("region %q with an endpoint and none given, want us-east-1", got)
	}
	if _, ok := client.Options().Retryer.(aws.NopRetryer); !ok {
		t.Errorf("retryer %T, want aws.NopRetryer", client.Options().Retryer)
	}
	if _, ok := client.Options().HTTPClient.(OwnBody); !ok {
		t.Errorf("HTTP client %T, want OwnBody", client.Options().HTTPClient)
	}
	_, err = client.DescribeUserPool(t.Context(), &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_Test")})
	if class, code := Classify(err); class != Retryable || code != "InternalErrorException" {
		t.Errorf("answer classified %v %s, want retryable InternalErrorException", class, code)
	}
	if calls != 1 {
		t.Errorf("%d requests for one call, want 1: the SDK retried", calls)
	}
	// A region given is kept.
	client, err = NewClient(t.Context(), Options{Region: "eu-west-1", EndpointURL: srv.URL})
	if err != nil || client.Options().Region != "eu-west-1" {
		t.Errorf("region given: client %v, err %v", client, err)
	}
}
