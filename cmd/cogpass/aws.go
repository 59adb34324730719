package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/job/sdkhttp"
)

// awsFlags are the AWS CLI's connection flags, with the AWS CLI's meaning.
type awsFlags struct {
	endpointURL   string
	region        string
	profile       string
	noSignRequest bool
}

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.endpointURL, "endpoint-url", "", "send requests to this URL instead of Cognito's (the emulator, say); AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER and AWS_ENDPOINT_URL work too")
	fs.StringVar(&a.region, "region", "", "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
	fs.StringVar(&a.profile, "profile", "", "named profile from the shared AWS config and credentials files")
}

// newClient builds the Cognito client. The SDK's retryer is off: the job
// paces and retries every call itself, and the SDK's retry token bucket
// would give up under sustained throttling.
func newClient(ctx context.Context, a awsFlags, conns int) (*cip.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			// One idle connection per worker, or every call past the
			// default two would open a new TLS connection.
			t.MaxIdleConns = conns + 16
			t.MaxIdleConnsPerHost = conns + 16
		}).WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).WithTimeout(60 * time.Second)),
	}
	if a.region != "" {
		opts = append(opts, config.WithRegion(a.region))
	}
	if a.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(a.profile))
	}
	if a.noSignRequest {
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, usageError("load AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		if a.endpointURL == "" && os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") == "" {
			return nil, usageError("no AWS region: give --region, set AWS_REGION, or set a region in your profile")
		}
		// An emulator does not care; the SDK wants one to sign with.
		cfg.Region = "us-east-1"
	}
	// Wrapped after loading, so that the config's own changes to the
	// client (AWS_CA_BUNDLE) still apply.
	cfg.HTTPClient = sdkhttp.OwnBody{Client: cfg.HTTPClient}
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		if a.endpointURL != "" {
			o.BaseEndpoint = aws.String(a.endpointURL)
		}
	}), nil
}

// credentialHint is a line of advice for a job stopped by rejected or
// missing credentials.
func credentialHint(code string) string {
	switch code {
	case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
		return "the AWS credentials have expired: refresh them (aws sso login, or a new session) and rerun with --resume"
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "CredentialsError":
		return "the AWS credentials were rejected or are missing: check --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID"
	case "AccessDeniedException", "AccessDenied":
		return "the credentials lack an IAM permission: see 'IAM permissions' in the README"
	case "ResourceNotFoundException":
		return "check --user-pool-id and --region"
	}
	return ""
}

func hinted(err error, code string) error {
	if h := credentialHint(code); h != "" {
		return fmt.Errorf("%w\nhint: %s", err, h)
	}
	return err
}
