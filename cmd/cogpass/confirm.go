package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"cogpass/cognito"
	"cogpass/job"
	"cogpass/report"
)

// confirmFacts is what the confirmation prompt shows before a real run:
// where the calls go, as whom, to which pools, and how much.
type confirmFacts struct {
	action     string
	send       int64 // rows this run sends
	total      int64 // valid rows of the manifest
	done       int64 // rows an earlier run finished (resume)
	resume     bool
	endpoint   string
	aws        bool
	region     string
	account    string
	pools      []poolRows
	generated  int64
	supplied   int64
	passwords  bool // set and change: say how many are generated
	warnings   []string
	emailLimit int
}

type poolRows struct {
	id   string
	rows int64
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
func gatherConfirmFacts(ctx context.Context, cmd job.Command, f *jobFlags, client *cip.Client, plan *job.Plan, reportPath string) confirmFacts {
	if plan == nil {
		plan = &job.Plan{}
	}
	c := confirmFacts{action: describe(cmd, f.permanent), total: plan.Rows - plan.Invalid, resume: f.resume,
		passwords: cmd != job.Reset, generated: plan.Generated, supplied: plan.Supplied}
	c.send = c.total
	if f.resume {
		if ix, err := report.LoadIndex(reportPath, func(code string) bool { return !cognito.FinalCode(code) }); err == nil {
			c.done = int64(ix.CountFinal(f.retryFailed))
			c.send = max(0, c.total-c.done)
		}
	}
	f.incident.confirm(&c)
	for id, n := range plan.Pools {
		c.pools = append(c.pools, poolRows{id, n})
	}
	sort.Slice(c.pools, func(i, j int) bool { return c.pools[i].id < c.pools[j].id })
	if client == nil {
		return c
	}
	opts := client.Options()
	c.region = opts.Region
	c.endpoint = f.aws.endpoint()
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
		for _, p := range c.pools {
			if p.rows <= cognitoDefaultDailyEmails {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			out, err := client.DescribeUserPool(cctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p.id)})
			cancel()
			if err != nil {
				continue // the run itself says what is wrong with the pool
			}
			if _, email := cognito.PoolPolicy(out.UserPool); email == "COGNITO_DEFAULT" {
				c.warnings = append(c.warnings, fmt.Sprintf(
					"pool %s sends e-mail with Cognito's default sender, which delivers %d messages a day; up to %d reset codes would be e-mailed (a --dry-run counts the users with a verified address): configure SES (EmailSendingAccount DEVELOPER) or spread the job over days",
					p.id, cognitoDefaultDailyEmails, p.rows))
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
	fmt.Fprintf(&b, "About to %s for %s.\n", c.action, plural(int(c.send), "user"))
	if c.endpoint != "" {
		kind := "AWS"
		if !c.aws {
			kind = "not AWS"
		}
		fmt.Fprintf(&b, "  endpoint:  %s (%s)\n", c.endpoint, kind)
		fmt.Fprintf(&b, "  region:    %s\n", c.region)
		fmt.Fprintf(&b, "  account:   %s\n", c.account)
	}
	for i, p := range c.pools {
		label := "pool:"
		if len(c.pools) > 1 {
			label = "pools:"
		}
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(&b, "  %-10s %s (%s in the manifest)\n", label, p.id, plural(int(p.rows), "row"))
	}
	if c.passwords {
		by := "by the manifest"
		if c.resume {
			by = "in the whole manifest"
		}
		fmt.Fprintf(&b, "  passwords: %d generated, %d supplied %s\n", c.generated, c.supplied, by)
	}
	if c.resume {
		// The rows left, not those this run sends: --limit may send fewer.
		fmt.Fprintf(&b, "  resume:    %s of %d remain (%d done by an earlier run)\n", plural(int(max(0, c.total-c.done)), "row"), c.total, c.done)
	}
	for _, w := range c.warnings {
		fmt.Fprintf(&b, "  warning:   %s\n", w)
	}
	b.WriteString("Go on? [y/N] ")
	return b.String()
}
