package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/job"
	"cogpass/pacing"
)

const policyExample = `Show the pool's password policy, the passwords cogpass would generate for it
and three examples; save it for an offline dry run:

  cogpass policy --user-pool-id us-east-1_AbCdEf123 --region us-east-1 --sample 3
  cogpass policy --user-pool-id us-east-1_AbCdEf123 --region us-east-1 --output json > policy.json
  cogpass set --user-pool-id us-east-1_AbCdEf123 --manifest users.csv --dry-run --offline --policy-file policy.json
`

// maxSamples bounds --sample: it is for looking at, not for generating a
// password list (set does that, with a secrets file).
const maxSamples = 1000

// policyDoc is `cogpass policy --output json`. policy.Parse reads it back
// (PasswordPolicy) for --policy-file; the rest is for people and scripts.
type policyDoc struct {
	UserPoolID          string        `json:"UserPoolId"`
	PasswordPolicy      policy.Policy `json:"PasswordPolicy"`
	EmailSendingAccount string        `json:"EmailSendingAccount"`
	// UsernameConfiguration is the pool's username case rule, resolved
	// (a pool without the setting is case-sensitive): an offline dry run
	// finds duplicate users by it.
	UsernameConfiguration usernameConfig `json:"UsernameConfiguration"`
	GeneratedLength       int            `json:"GeneratedLength"`
	Symbols               string         `json:"Symbols"`
	Samples               []string       `json:"Samples,omitempty"`
}

type usernameConfig struct {
	CaseSensitive bool `json:"CaseSensitive"`
}

// policyFlags are the flags of 'cogpass policy'.
type policyFlags struct {
	aws            awsFlags
	userPoolID     string
	output         string
	sample         int
	passwordLength int
}

// flagSet is policy's FlagSet, bound to f.
func (f *policyFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("policy", policyExample, stderr)
	f.aws.register(fs)
	fs.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool (required)")
	fs.StringVar(&f.output, "output", "text", "text, or json (the file --policy-file reads)")
	fs.IntVar(&f.sample, "sample", 0, fmt.Sprintf("print N example passwords that comply (at most %d)", maxSamples))
	fs.IntVar(&f.passwordLength, "password-length", 0, "length of generated passwords, as set's flag (default: the pool's minimum, at least 16)")
	return fs
}

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f policyFlags
	if err := parseFlags(f.flagSet(stderr), args, stdout); err != nil {
		return err
	}
	switch {
	case f.userPoolID == "":
		return usageError("--user-pool-id is required")
	case f.output != "text" && f.output != "json":
		return usageError("--output %q: want text or json", f.output)
	case f.sample < 0 || f.sample > maxSamples:
		return usageError("--sample %d: want 0 to %d", f.sample, maxSamples)
	}
	if err := f.aws.usePoolRegion("--user-pool-id", f.userPoolID); err != nil {
		return err
	}
	client, err := newClient(ctx, f.aws, 2)
	if err != nil {
		return err
	}
	if err := requireCredentials(ctx, client, f.aws); err != nil {
		return err
	}
	pool, err := describePool(ctx, client, f.userPoolID, cognito.DefaultBackoff)
	if err != nil {
		return err
	}
	pol, email := cognito.PoolPolicy(pool)
	days, source := cognito.TemporaryValidity(pool)
	// The validity Cognito applies, also for a pool that only has the
	// legacy setting: an offline dry run reads this file.
	pol.TemporaryPasswordValidityDays = days
	length, err := pol.GeneratedLength(f.passwordLength)
	if err != nil {
		return usageError("--password-length: %v", err)
	}
	doc := policyDoc{UserPoolID: f.userPoolID, PasswordPolicy: pol, EmailSendingAccount: email, GeneratedLength: length, Symbols: policy.Symbols,
		UsernameConfiguration: usernameConfig{CaseSensitive: cognito.CaseSensitive(pool)}}
	if f.sample > 0 {
		gen, err := policy.NewGenerator(pol, f.passwordLength)
		if err != nil {
			return usageError("--password-length: %v", err)
		}
		for range f.sample {
			pw, err := gen.Generate()
			if err != nil {
				return err
			}
			doc.Samples = append(doc.Samples, pw)
		}
	}
	if f.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return printPolicy(stdout, doc, source)
}

func printPolicy(w io.Writer, d policyDoc, validitySource string) error {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	p := d.PasswordPolicy
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "User pool:\t%s\n", d.UserPoolID)
	fmt.Fprintf(tw, "Minimum length:\t%d\n", p.MinimumLength)
	fmt.Fprintf(tw, "Require uppercase:\t%s\n", yes(p.RequireUppercase))
	fmt.Fprintf(tw, "Require lowercase:\t%s\n", yes(p.RequireLowercase))
	fmt.Fprintf(tw, "Require numbers:\t%s\n", yes(p.RequireNumbers))
	fmt.Fprintf(tw, "Require symbols:\t%s\n", yes(p.RequireSymbols))
	validity := fmt.Sprintf("%d days", p.TemporaryPasswordValidityDays)
	if validitySource != "TemporaryPasswordValidityDays" {
		validity += " (from " + validitySource + ")"
	}
	fmt.Fprintf(tw, "Temporary passwords valid:\t%s\n", validity)
	if p.PasswordHistorySize > 0 {
		fmt.Fprintf(tw, "Password history:\tthe last %d passwords cannot be reused (set cannot check this beforehand)\n", p.PasswordHistorySize)
	}
	sender := d.EmailSendingAccount
	if sender == "COGNITO_DEFAULT" {
		sender += " (Cognito's own sender: a low daily e-mail quota, 50 a day by default; mind it for mass resets)"
	}
	fmt.Fprintf(tw, "E-mail sender:\t%s\n", sender)
	if d.UsernameConfiguration.CaseSensitive {
		fmt.Fprintf(tw, "Usernames:\tcase-sensitive (John.Doe and john.doe are two users)\n")
	} else {
		fmt.Fprintf(tw, "Usernames:\tcase-insensitive (John.Doe and john.doe are one user)\n")
	}
	fmt.Fprintf(tw, "Symbols cogpass uses:\t%s\n", d.Symbols)
	fmt.Fprintf(tw, "Generated length:\t%d\n", d.GeneratedLength)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Samples) > 0 {
		fmt.Fprintln(w, "Samples:")
		for _, s := range d.Samples {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	return nil
}

// poolDescriber is the one call describePool makes.
type poolDescriber interface {
	DescribeUserPool(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
}

// describePool reads the pool once, paced, classified and retried as the
// job's calls are (cognito.Call), on a pacer at DescribeUserPool's default
// rate: the call shares the UserPoolRead quota with the app. A failure is
// exit 3 with a hint.
func describePool(ctx context.Context, api poolDescriber, id string, backoff cognito.Backoff) (*types.UserPoolType, error) {
	pacer := pacing.NewController(quota.DefaultRate("DescribeUserPool"), pacing.Options{})
	var out *cip.DescribeUserPoolOutput
	res := cognito.Call{Pacer: pacer, Backoff: backoff, Message: errMessage}.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
		return err
	})
	switch {
	case res.Err == nil:
		if out.UserPool == nil {
			return nil, &job.Stopped{Err: fmt.Errorf("describe user pool %s: the answer holds no pool", id)}
		}
		return out.UserPool, nil
	case res.Stopped || ctx.Err() != nil:
		return nil, &job.Stopped{Err: errors.New("interrupted")}
	}
	return nil, &job.Stopped{Err: cognito.WithHint(fmt.Errorf("describe user pool %s: %s: %s", id, res.Code, res.Message), res.Code)}
}

// errMessage is an API error's message without the SDK's request envelope.
func errMessage(err error) string {
	var api interface{ ErrorMessage() string }
	if errors.As(err, &api) && api.ErrorMessage() != "" {
		return api.ErrorMessage()
	}
	return strings.TrimSpace(err.Error())
}
