package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// stsAnswer is an HTTP client that answers every request with one STS
// response, and remembers the request.
type stsAnswer struct {
	status int
	body   string
	req    *http.Request
}

func (s *stsAnswer) Do(r *http.Request) (*http.Response, error) {
	s.req = r
	return &http.Response{StatusCode: s.status, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(s.body)), Request: r}, nil
}

// TestCallerAccount: the confirmation's account line from STS
// GetCallerIdentity (the response shape of the STS API reference), and
// what it says when STS refuses.
func TestCallerAccount(t *testing.T) {
	ok := &stsAnswer{status: 200, body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`}
	opts := cip.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), HTTPClient: ok}
	if got, want := callerAccount(t.Context(), opts), "123456789012 (arn:aws:iam::123456789012:user/alice)"; got != want {
		t.Errorf("account %q, want %q", got, want)
	}
	if ok.req == nil || ok.req.URL.Host != "sts.eu-west-1.amazonaws.com" {
		t.Errorf("asked %v, want the region's STS endpoint", ok.req.URL)
	}
	denied := &stsAnswer{status: 403, body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied by an SCP</Message></Error>
  <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
</ErrorResponse>`}
	opts.HTTPClient = denied
	if got, want := callerAccount(t.Context(), opts), "unknown (STS GetCallerIdentity: AccessDenied)"; got != want {
		t.Errorf("account %q, want %q", got, want)
	}
}
