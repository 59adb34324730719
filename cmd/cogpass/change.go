package main

import (
	"context"
	"io"

	"cogpass/job"
)

const changeExample = `Change passwords with each user's own access token (columns username,
access_token, previous_password, proposed_password; username is required, as in every manifest,
and names the row in the report; an empty previous_password is left out, for passwordless
users; an empty proposed_password is generated). The calls are
unsigned, so no AWS credentials are needed:

  cogpass change --manifest tokens.jsonl --region us-east-1
`

func runChange(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runJob(ctx, job.Change, changeExample, args, stdout, stderr)
}
