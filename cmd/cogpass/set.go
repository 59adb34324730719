package main

import (
	"context"
	"io"

	"cogpass/job"
)

const setExample = `Set a generated temporary password for every user in users.csv; each
user must choose a new one at next sign-in. Passwords go to users.csv.secrets.csv (mode 0600):

  cogpass set --user-pool-id us-east-1_AbCdEf123 --manifest users.csv --region us-east-1
`

func runSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runJob(ctx, job.Set, setExample, args, stdout, stderr)
}
