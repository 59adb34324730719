package main

import (
	"cogpass/job"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// TestNewClientErrors: cognito.NewClient's errors reach the user as usage
// errors (exit 2) in one line, naming the flag that fixes them.
func TestNewClientErrors(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	_, err := newClient(t.Context(), awsFlags{}, 1)
	var ue *job.UsageError
	if !errors.As(err, &ue) || exitCode(err, io.Discard) != exitUsage || err.Error() != "no AWS region: give --region, set AWS_REGION, or set a region in your profile" {
		t.Errorf("no region: %v", err)
	}
	_, err = newClient(t.Context(), awsFlags{profile: "nope"}, 1)
	if !errors.As(err, &ue) || exitCode(err, io.Discard) != exitUsage || err.Error() != `load AWS configuration: failed to get shared config profile, nope` {
		t.Errorf("unknown profile: %v", err)
	}
}
