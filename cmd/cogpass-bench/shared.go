package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/sync/errgroup"

	"cogpass/cognito/quota"
	"cogpass/emulator"
)

// Figure 6: a reset job sharing the UserAccountRecovery quota (30/s,
// Cognito's default, not adjustable) with a production app.
//
// The app is open loop and never retries, as a sign-in page's "change
// password" button is: it sends ChangePassword (UserAccountRecovery, like
// the job's AdminResetUserPassword) at a fixed rate from the moment the job
// starts until it ends, each call on its own goroutine, and counts the
// calls that Cognito throttled. The job is cogpass at its default --rate,
// cogpass at --rate 30, and a plain pool of 16 goroutines calling
// AdminResetUserPassword through the SDK's standard retryer (what a script
// written against the SDK does).
//
// Target: the app sees at most 1% of its calls throttled while the job
// runs, and the job gets at least 0.9 of what the app leaves of the quota
// (30/s minus the app's rate).
const (
	sharedQuota    = 30.0
	sharedUsers    = 600
	sharedUsersQck = 150
	sharedPassword = "Shared-Bench-Passw0rd!"
	appPassword    = "App-Changed-Passw0rd!"
	// appHorizon bounds the app's supply of signed-in users: the app can
	// run this long at its rate before it runs out (it then stops and the
	// figure says so).
	appHorizon = 120 * time.Second
)

var sharedAppRates = []float64{6, 12}

type sharedVariant struct {
	name string
	// rate is cogpass's --rate ("" for its default); threadPool runs the
	// SDK-retrying pool instead of cogpass.
	rate       string
	threadPool bool
}

var sharedVariants = []sharedVariant{
	{name: "cogpass (default --rate)"},
	{name: "cogpass --rate 30", rate: "30"},
	{name: "16 threads, SDK standard retries", threadPool: true},
}

func runShared(ctx context.Context, c *options) (string, error) {
	type cell struct {
		v       sharedVariant
		app     float64
		r       sharedResult
		ok      bool
		verdict string
	}
	var cells []cell
	allOK := true
	for _, app := range sharedAppRates {
		for _, v := range sharedVariants {
			r, err := sharedRun(ctx, c, v, app)
			if err != nil {
				return "", fmt.Errorf("%s with the app at %g/s: %w", v.name, app, err)
			}
			left := sharedQuota - app
			ok := r.appShare <= 0.01 && r.jobRate >= 0.9*left
			if !v.threadPool && !ok {
				allOK = false
			}
			cells = append(cells, cell{v: v, app: app, r: r, ok: ok})
		}
	}
	line := "shared quota (UserAccountRecovery 30/s, app open loop without retries):"
	for _, x := range cells {
		left := sharedQuota - x.app
		line += fmt.Sprintf(" [app %g/s, %s: app throttled %.1f%%, job %.1f/s = %.2f of the %g/s left, job rows %s]",
			x.app, x.v.name, x.r.appShare*100, x.r.jobRate, x.r.jobRate/left, left, fmtCounts(x.r.counts))
	}
	line += " — target for cogpass at both settings: app <= 1% throttled, job >= 0.9 of what the app leaves: " + verdict(allOK)
	return line, nil
}

type sharedResult struct {
	appCalls, appThrottled, appOther int64
	appShare                         float64
	jobRate                          float64
	counts                           map[string]int
}

func sharedRun(ctx context.Context, c *options, v sharedVariant, appRate float64) (sharedResult, error) {
	n := sharedUsers
	if c.quick {
		n = sharedUsersQck
	}
	m := int(appRate * appHorizon.Seconds())
	rates, err := quota.ParseSpec("UserAccountRecovery=" + strconv.FormatFloat(sharedQuota, 'f', -1, 64))
	if err != nil {
		return sharedResult{}, err
	}
	e, err := startEmu(emulator.Options{Quota: rates, Latency: quotaLatency, LatencyJitter: quotaJitter, Seed: 6}, 0, writeOp)
	if err != nil {
		return sharedResult{}, err
	}
	defer e.close()
	// Users 1..n are the job's, n+1..n+m the app's; all CONFIRMED with one
	// known password, so that the app can sign them in.
	if err := e.srv.SeedUsersWithPassword(poolID, n+m, sharedPassword); err != nil {
		return sharedResult{}, err
	}
	clientID, err := e.srv.CreateClient(emulator.ClientConfig{PoolID: poolID, Name: "app"})
	if err != nil {
		return sharedResult{}, fmt.Errorf("create client: %w", err)
	}
	tokens, err := signIn(ctx, e.url, clientID, n+1, n+m, n+m)
	if err != nil {
		return sharedResult{}, err
	}

	appClient, err := newSDKClient(ctx, e.url, 64) // NopRetryer: the app never retries
	if err != nil {
		return sharedResult{}, err
	}
	appCtx, stopApp := context.WithCancel(ctx)
	var res sharedResult
	var appWG sync.WaitGroup
	var calls, throttled, other atomic.Int64
	appWG.Add(1)
	go func() {
		defer appWG.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / appRate))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-appCtx.Done():
				return
			case <-tick.C:
			}
			if i >= len(tokens) {
				logf(c, "the app ran out of signed-in users after %d calls", i)
				return
			}
			appWG.Add(1)
			go func(tok string) {
				defer appWG.Done()
				_, err := appClient.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: aws.String(tok),
					PreviousPassword: aws.String(sharedPassword), ProposedPassword: aws.String(appPassword)})
				calls.Add(1)
				var tm *types.TooManyRequestsException
				switch {
				case errors.As(err, &tm):
					throttled.Add(1)
				case err != nil:
					other.Add(1)
				}
			}(tokens[i])
		}
	}()

	manifest := filepath.Join(c.dir, fmt.Sprintf("shared-%g.csv", appRate))
	if err := writeManifest(manifest, 1, n, n+m); err != nil {
		stopApp()
		return sharedResult{}, err
	}
	if v.threadPool {
		res.counts, err = threadPoolReset(ctx, e.url, n, n+m)
	} else {
		reportPath := fmt.Sprintf("%s.%d.report.csv", manifest, time.Now().UnixNano())
		args := []string{"reset", "--user-pool-id", poolID, "--manifest", manifest,
			"--endpoint-url", e.url, "--region", "us-east-1", "--report", reportPath, "--yes", "--quiet"}
		if v.rate != "" {
			args = append(args, "--rate", v.rate)
		}
		var pr procResult
		pr, err = runProc(ctx, c.bin, args...)
		if err == nil {
			res.counts, err = outcomes(reportPath)
			if err != nil {
				err = fmt.Errorf("%w (exit %d)%s", err, pr.exit, lastLines(pr.stderr, 10))
			}
		}
	}
	stopApp()
	appWG.Wait()
	if err != nil {
		return sharedResult{}, err
	}
	p := e.rec.phase(steadyTrim)
	res.appCalls, res.appThrottled, res.appOther = calls.Load(), throttled.Load(), other.Load()
	if res.appCalls > 0 {
		res.appShare = float64(res.appThrottled) / float64(res.appCalls)
	}
	res.jobRate = p.rate()
	logf(c, "app %g/s + %s: app %d calls, %d throttled, %d other errors; job %d AdminResetUserPassword calls, %d throttled, %d accepted in %.1f s (%.1f/s); rows %s",
		appRate, v.name, res.appCalls, res.appThrottled, res.appOther, p.calls, p.throttled, p.accepted, p.span.Seconds(), res.jobRate, fmtCounts(res.counts))
	return res, nil
}

// signIn signs users from..to in (AdminInitiateAuth, paced well under the
// UserAuthentication quota, retried by the SDK) and returns their access
// tokens in order.
func signIn(ctx context.Context, url, clientID string, from, to, n int) ([]string, error) {
	client, err := newRetryingClient(ctx, url)
	if err != nil {
		return nil, err
	}
	tokens := make([]string, to-from+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := from; i <= to; i++ {
		g.Go(func() error {
			out, err := client.AdminInitiateAuth(gctx, &cip.AdminInitiateAuthInput{
				UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
				AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": userName(i, n), "PASSWORD": sharedPassword},
			})
			if err != nil {
				return fmt.Errorf("sign in %s: %w", userName(i, n), err)
			}
			if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
				return fmt.Errorf("sign in %s: no tokens (challenge %s)", userName(i, n), out.ChallengeName)
			}
			tokens[i-from] = *out.AuthenticationResult.AccessToken
			return nil
		})
	}
	return tokens, g.Wait()
}

// newRetryingClient is the bench's SDK client with the SDK's standard
// retryer (3 attempts, exponential backoff, a retry token bucket), as a
// script written against the SDK has it.
func newRetryingClient(ctx context.Context, url string) (*cip.Client, error) {
	base, err := newSDKClient(ctx, url, 64)
	if err != nil {
		return nil, err
	}
	return cip.New(base.Options(), func(o *cip.Options) { o.Retryer = retry.NewStandard() }), nil
}

// threadPoolReset resets users 1..n of a pool of total users with 16
// goroutines and the SDK's standard retries, and counts the outcomes as
// cogpass's report would.
func threadPoolReset(ctx context.Context, url string, n, total int) (map[string]int, error) {
	client, err := newRetryingClient(ctx, url)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	counts := map[string]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := client.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{
					UserPoolId: aws.String(poolID), Username: aws.String(userName(i, total))})
				mu.Lock()
				if err != nil {
					counts["failed"]++
				} else {
					counts["succeeded"]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 1; i <= n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return counts, ctx.Err()
}
