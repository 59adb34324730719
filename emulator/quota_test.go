package emulator_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cogpass/cognito/quota"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/time/rate"
)

// TestThrottleRate offers four times the quota and checks the bucket: over
// the whole run no more calls are served than the burst (one second's
// worth) plus the quota times the time elapsed, and once the burst is spent
// what gets through is the quota. The second check needs the offered load
// to have stayed above the quota; on a machine too loaded to offer it (the
// race detector on two busy cores) it is logged, not failed, since the
// emulator cannot throttle calls that never came.
func TestThrottleRate(t *testing.T) {
	const quotaRPS = 40
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserRead: quotaRPS}})
	if err := e.srv.SeedUsers(poolID, 10); err != nil {
		t.Fatal(err)
	}
	const (
		warmup  = 1500 * time.Millisecond // drains the burst
		measure = 2 * time.Second
	)
	ctx, cancel := context.WithTimeout(e.ctx, warmup+measure)
	defer cancel()
	offered := rate.NewLimiter(4*quotaRPS, 1)
	start := time.Now()
	var ok, throttled, allOK, sent atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for offered.Wait(ctx) == nil {
				_, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("user000001")})
				if ctx.Err() != nil {
					continue
				}
				code := errCode(err)
				if code == "" {
					allOK.Add(1)
				}
				if time.Since(start) < warmup {
					continue
				}
				sent.Add(1)
				switch code {
				case "":
					ok.Add(1)
				case "TooManyRequestsException":
					throttled.Add(1)
				default:
					t.Errorf("unexpected error %v", err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if limit := quotaRPS + quotaRPS*elapsed.Seconds() + 1; float64(allOK.Load()) > limit {
		t.Errorf("served %d calls in %s, more than the burst and the quota allow (%.0f)", allOK.Load(), elapsed, limit)
	}
	got := float64(ok.Load()) / measure.Seconds()
	offeredRPS := float64(sent.Load()) / measure.Seconds()
	t.Logf("offered %.1f calls/s, served %.1f calls/s of a %d/s quota, %d throttled", offeredRPS, got, quotaRPS, throttled.Load())
	if offeredRPS < 2*quotaRPS {
		t.Logf("the machine offered only %.1f calls/s: the steady-state rate is not checked", offeredRPS)
	} else {
		if math.Abs(got-quotaRPS)/quotaRPS > 0.10 {
			t.Errorf("served %.1f calls/s, want %d/s within 10%%", got, quotaRPS)
		}
		if throttled.Load() == 0 {
			t.Error("nothing was throttled at twice the quota or more")
		}
	}
	st := e.srv.Stats()["AdminGetUser"]
	if st.Throttled < throttled.Load() || st.Calls < ok.Load()+throttled.Load() {
		t.Errorf("stats %+v", st)
	}
}

// TestThrottleSharedCategory: the bucket is per category, shared by
// operations and pools.
func TestThrottleSharedCategory(t *testing.T) {
	// 1/s: a bucket of one call, so that quick calls throttle even when the
	// machine is slow.
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserAccountRecovery: 1}, PerUserWriteRPS: -1})
	e.add(t, emulator.SeedUser{Username: "u", Email: "u@example.com", EmailVerified: true, Password: goodPW})
	var throttled int
	for range 12 {
		_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
		if errCode(err) == "TooManyRequestsException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("12 quick calls on a 5/s quota: none throttled")
	}
	// ChangePassword shares UserAccountRecovery: three quick calls on the
	// drained 1/s bucket, and at least one is throttled (a call that gets
	// through is refused for its made-up token).
	changeThrottled := 0
	for range 3 {
		_, err := e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: aws.String("x"), PreviousPassword: aws.String(goodPW), ProposedPassword: aws.String(otherPW)})
		switch errCode(err) {
		case "TooManyRequestsException":
			changeThrottled++
		case "NotAuthorizedException":
		default:
			t.Errorf("ChangePassword: %v", err)
		}
	}
	if changeThrottled == 0 {
		t.Error("ChangePassword on the drained UserAccountRecovery bucket: none throttled")
	}
	// Other categories are not.
	if _, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("u")}); err != nil {
		t.Errorf("AdminGetUser: %v", err)
	}
}

// TestPerUserWriteLimit: Cognito's fixed ten writes per second per user.
func TestPerUserWriteLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserAccountRecovery: 10_000}})
	e.add(t, emulator.SeedUser{Username: "hot"})
	e.add(t, emulator.SeedUser{Username: "cold"})
	start := time.Now()
	var ok, throttled int
	for range 40 {
		_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("hot"), Password: aws.String(goodPW), Permanent: true})
		switch errCode(err) {
		case "":
			ok++
		case "TooManyRequestsException":
			throttled++
		default:
			t.Fatal(err)
		}
	}
	// A burst of ten, then ten a second.
	limit := 10 + int(time.Since(start).Seconds()*10) + 1
	if ok > limit || throttled == 0 {
		t.Errorf("%d writes went through (limit %d), %d throttled", ok, limit, throttled)
	}
	// Another user is not affected, and reads are not limited per user.
	if _, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("cold"), Password: aws.String(goodPW)}); err != nil {
		t.Errorf("another user: %v", err)
	}
	if _, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("hot")}); err != nil {
		t.Errorf("read: %v", err)
	}
}

func TestFaultsAndStats(t *testing.T) {
	e := newEnv(t, emulator.Options{FaultRate: 1})
	e.add(t, emulator.SeedUser{Username: "u"})
	_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("u"), Password: aws.String(goodPW), Permanent: true})
	wantErr(t, err, "InternalErrorException", "")
	got := e.srv.Stats()
	if got["AdminSetUserPassword"] != (emulator.OpStats{Calls: 1, Faults: 1}) {
		t.Errorf("stats %+v", got)
	}
	if _, called := got["AdminGetUser"]; called {
		t.Error("an operation never called is in the stats")
	}

	// Half the calls fail; no call changes anything when it faults.
	e = newEnv(t, emulator.Options{FaultRate: 0.5, Seed: 7})
	e.add(t, emulator.SeedUser{Username: "u", Status: "CONFIRMED"})
	var faults int
	for range 100 {
		_, err := e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
		if errCode(err) == "InternalErrorException" {
			faults++
		}
	}
	if faults < 25 || faults > 75 {
		t.Errorf("%d faults in 100 calls at rate 0.5", faults)
	}
	if st := e.srv.Stats()["AdminDisableUser"]; st.Calls != 100 || st.Faults != int64(faults) {
		t.Errorf("stats %+v, %d faults seen", st, faults)
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, emulator.Options{Latency: 60 * time.Millisecond, LatencyJitter: 20 * time.Millisecond})
	for range 3 {
		start := time.Now()
		if _, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 40*time.Millisecond {
			t.Errorf("a call took %v with latency 60ms±20ms", d)
		}
	}
}
