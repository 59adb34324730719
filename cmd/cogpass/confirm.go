package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"cogpass/cognito"
	"cogpass/job"
)

// confirmFacts is what the confirmation prompt shows before a real run:
// what the job does and to how many users (the session's preview), where
// the calls go, and as whom.
type confirmFacts struct {
	job.Preview
	endpoint string
	aws      bool
	region   string
	account  string
	warnings []string
}

// cognitoDefaultDailyEmails is what Cognito's own e-mail sender delivers a
// day ("Quotas in Amazon Cognito": 50 e-mail messages a day with the
// default e-mail configuration); the dry run's warning uses the same.
const cognitoDefaultDailyEmails = 50

// gatherConfirmFacts reads what the prompt shows. The account comes from
// STS GetCallerIdentity, asked only of AWS itself (an emulator has no
// STS): it needs no IAM permission, but a network or a policy can refuse
// it, and then the prompt says so. For a reset it reads each pool's e-mail
// sender (DescribeUserPool) to warn, as a dry run does, when Cognito's
// default sender would not deliver that many codes.
func gatherConfirmFacts(ctx context.Context, cmd job.Command, preview job.Preview, a awsFlags, client *cip.Client) confirmFacts {
	c := confirmFacts{Preview: preview}
	if client == nil {
		return c
	}
	opts := client.Options()
	c.region = opts.Region
	c.endpoint = a.endpoint()
	c.aws = c.endpoint == "" || isAWSHost(c.endpoint)
	if c.endpoint == "" {
		c.endpoint = fmt.Sprintf("https://cognito-idp.%s.amazonaws.com", c.region)
	}
	if !c.aws {
		c.account = "unknown (not AWS: the endpoint is not Cognito's)"
	} else {
		c.account = callerAccount(ctx, opts)
	}
	if cmd == job.Reset {
		for _, p := range c.Pools {
			if p.Rows <= cognitoDefaultDailyEmails {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			out, err := client.DescribeUserPool(cctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p.ID)})
			cancel()
			if err != nil {
				continue // the run itself says what is wrong with the pool
			}
			if _, email := cognito.PoolPolicy(out.UserPool); email == "COGNITO_DEFAULT" {
				c.warnings = append(c.warnings, fmt.Sprintf(
					"pool %s sends e-mail with Cognito's default sender, which delivers %d messages a day; up to %d reset codes would be e-mailed (a --dry-run counts the users with a verified address): configure SES (EmailSendingAccount DEVELOPER) or spread the job over days",
					p.ID, cognitoDefaultDailyEmails, p.Rows))
			}
		}
	}
	return c
}

// isAWSHost reports whether an endpoint URL is an AWS one.
func isAWSHost(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || strings.HasSuffix(h, ".api.aws")
}

// callerAccount asks STS GetCallerIdentity for the account and the
// identity the credentials belong to.
func callerAccount(ctx context.Context, opts cip.Options) string {
	client := sts.New(sts.Options{Region: opts.Region, Credentials: opts.Credentials, HTTPClient: opts.HTTPClient,
		Retryer: aws.NopRetryer{}})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			return fmt.Sprintf("unknown (STS GetCallerIdentity: %s)", api.ErrorCode())
		}
		if ctx.Err() != nil {
			return "unknown (STS GetCallerIdentity did not answer)"
		}
		return "unknown (STS GetCallerIdentity failed)"
	}
	return fmt.Sprintf("%s (%s)", aws.ToString(out.Account), aws.ToString(out.Arn))
}

// prompt renders the facts and the question.
func (c confirmFacts) prompt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "About to %s for %s.\n", c.Action, plural(int(c.Send), "user"))
	if c.endpoint != "" {
		kind := "AWS"
		if !c.aws {
			kind = "not AWS"
		}
		fmt.Fprintf(&b, "  endpoint:  %s (%s)\n", c.endpoint, kind)
		fmt.Fprintf(&b, "  region:    %s\n", c.region)
		fmt.Fprintf(&b, "  account:   %s\n", c.account)
	}
	for i, p := range c.Pools {
		label := "pool:"
		if len(c.Pools) > 1 {
			label = "pools:"
		}
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(&b, "  %-10s %s (%s in the manifest)\n", label, p.ID, plural(int(p.Rows), "row"))
	}
	if c.Passwords {
		by := "by the manifest"
		if c.Resume {
			by = "in the whole manifest"
		}
		fmt.Fprintf(&b, "  passwords: %d generated, %d supplied %s\n", c.Generated, c.Supplied, by)
	}
	if c.Resume {
		// The rows left, not those this run sends: --limit may send fewer.
		fmt.Fprintf(&b, "  resume:    %s of %d remain (%d done by an earlier run)\n", plural(int(max(0, c.Total-c.Done)), "row"), c.Total, c.Done)
	}
	for _, w := range c.warnings {
		fmt.Fprintf(&b, "  warning:   %s\n", w)
	}
	b.WriteString("Go on? [y/N] ")
	return b.String()
}
