package cognito

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/logging"
)

// Options say how NewClient reaches Cognito. Zero values take the SDK's
// defaults (its environment variables, shared config and credentials
// files, SSO and instance role).
type Options struct {
	Region      string // AWS region; "" takes the SDK's
	Profile     string // named profile of the shared config and credentials files
	EndpointURL string // send requests here instead of Cognito's (an emulator)
	// Anonymous sends unsigned requests.
	Anonymous bool
	// NoInstanceMetadata keeps the SDK from asking an EC2 instance metadata
	// service for credentials, as AWS_EC2_METADATA_DISABLED=true would: for
	// an emulator on this machine, where a second's wait off EC2 buys
	// nothing and an instance role's credentials have no business.
	NoInstanceMetadata bool
	// Conns is the number of calls that may be in flight at once: the
	// client keeps that many idle connections (and a few more).
	Conns int
}

// ErrNoRegion is NewClient's error when neither Options nor the SDK's
// configuration name a region and no other endpoint is set.
var ErrNoRegion = errors.New("no AWS region")

// NewClient builds the Cognito client every call of cogpass goes through.
// The SDK's retryer is off: the caller paces and retries every call itself
// (Call), because the quota is one ceiling per category shared by every
// call of the job, every attempt pays that pacer, and the classes are
// Cognito's (docs/errors.md). The SDK logs nothing; its HTTP client keeps
// Conns idle connections and hands the transport its own copy of each
// request body (OwnBody). A configuration the SDK cannot load is an error
// saying so; no region is ErrNoRegion, unless an endpoint is set (by
// EndpointURL, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER or
// AWS_ENDPOINT_URL), which gets us-east-1 to sign with.
func NewClient(ctx context.Context, o Options) (*cip.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		// The SDK's own log lines (such as "WARN falling back to IMDSv1"
		// while the default chain looks for credentials) go straight to
		// os.Stderr, around cogpass's one-line errors and over the progress
		// bar; every failure they warn of reaches cogpass as an error.
		config.WithLogger(logging.Nop{}),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			// One idle connection per worker, or every call past the
			// default two would open a new TLS connection.
			t.MaxIdleConns = o.Conns + 16
			t.MaxIdleConnsPerHost = o.Conns + 16
		}).WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).WithTimeout(60 * time.Second)),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Anonymous {
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	if o.NoInstanceMetadata {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if o.EndpointURL == "" && os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") == "" {
			return nil, ErrNoRegion
		}
		// An emulator does not care; the SDK wants one to sign with.
		cfg.Region = "us-east-1"
	}
	// Wrapped after loading, so that the config's own changes to the
	// client (AWS_CA_BUNDLE) still apply.
	cfg.HTTPClient = OwnBody{Client: cfg.HTTPClient}
	return cip.NewFromConfig(cfg, func(co *cip.Options) {
		if o.EndpointURL != "" {
			co.BaseEndpoint = aws.String(o.EndpointURL)
		}
	}), nil
}
