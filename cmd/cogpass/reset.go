package main

import (
	"context"
	"io"

	"cogpass/job"
)

const resetExample = `Force a password reset for every user in compromised.csv after an
incident; Cognito sends each a code by e-mail or SMS:

  cogpass reset --user-pool-id us-east-1_AbCdEf123 --manifest compromised.csv --client-metadata reason=incident-42
`

func runReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runJob(ctx, job.Reset, resetExample, args, stdout, stderr)
}
