package main

import (
	"context"
	"errors"
	"flag"
	"net"
	"net/url"
	"os"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/job"
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
	fs.StringVar(&a.region, "region", "", "AWS region (default: the region --user-pool-id starts with, else AWS_REGION, AWS_DEFAULT_REGION or the profile's); refused when it is not the pool's")
	fs.StringVar(&a.profile, "profile", "", "named profile from the shared AWS config and credentials files")
}

// newClient builds the Cognito client (cognito.NewClient) from the AWS
// flags, for conns calls in flight at once.
func newClient(ctx context.Context, a awsFlags, conns int) (*cip.Client, error) {
	client, err := cognito.NewClient(ctx, cognito.Options{
		Region:      a.region,
		Profile:     a.profile,
		EndpointURL: a.endpointURL,
		Anonymous:   a.noSignRequest,
		// An emulator on this machine: no instance metadata service.
		NoInstanceMetadata: a.loopback(),
		Conns:              conns,
	})
	switch {
	case errors.Is(err, cognito.ErrNoRegion):
		return nil, usageError("no AWS region: give --region, set AWS_REGION, or set a region in your profile")
	case err != nil:
		return nil, usageError("%v", err)
	}
	return client, nil
}

// endpoint is the endpoint the client sends to instead of Cognito's, from
// the flag or the SDK's environment variables, or "".
func (a awsFlags) endpoint() string {
	for _, e := range []string{a.endpointURL, os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"), os.Getenv("AWS_ENDPOINT_URL")} {
		if e != "" {
			return e
		}
	}
	return ""
}

// loopback reports whether the endpoint is on this machine (an emulator).
func (a awsFlags) loopback() bool {
	e := a.endpoint()
	if e == "" {
		return false
	}
	u, err := url.Parse(e)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// requireCredentials fails, in one line and a hint, when the SDK finds no
// credentials, before the job makes its first call: the SDK's own error is
// a chain of every provider it tried.
func requireCredentials(ctx context.Context, client *cip.Client, a awsFlags) error {
	creds := client.Options().Credentials
	if a.noSignRequest || creds == nil {
		return nil
	}
	if _, err := creds.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return &job.Stopped{Err: errors.New("interrupted while looking for AWS credentials")}
		}
		hint := "set AWS_PROFILE (or --profile) to a profile with credentials, run 'aws sso login', or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
		where := "the environment, the shared config and credentials files, SSO and the instance role"
		if a.loopback() {
			hint = "the emulator takes any key: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x"
			where = "the environment, the shared config and credentials files and SSO"
		}
		return usageError("no AWS credentials: the SDK found none in %s\nhint: %s", where, hint)
	}
	return nil
}
