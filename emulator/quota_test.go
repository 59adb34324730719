package emulator_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cogpass/emulator"
	"cogpass/job/quota"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/time/rate"
)

// TestThrottleRate offers four times the quota and measures what gets
// through once the initial burst (one second's worth) is spent.
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
	var ok, throttled atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for offered.Wait(ctx) == nil {
				_, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("user000001")})
				if time.Since(start) < warmup || ctx.Err() != nil {
					continue
				}
				switch code := errCode(err); code {
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
	got := float64(ok.Load()) / measure.Seconds()
	t.Logf("served %.1f calls/s of a %d/s quota, %d throttled", got, quotaRPS, throttled.Load())
	if math.Abs(got-quotaRPS)/quotaRPS > 0.10 {
		t.Errorf("served %.1f calls/s, want %d/s within 10%%", got, quotaRPS)
	}
	if throttled.Load() == 0 {
		t.Error("nothing was throttled at four times the quota")
	}
	st := e.srv.Stats()["AdminGetUser"]
	if st.Throttled < throttled.Load() || st.Calls < ok.Load()+throttled.Load() {
		t.Errorf("stats %+v", st)
	}
}

// TestThrottleSharedCategory: the bucket is per category, shared by
// operations and pools.
func TestThrottleSharedCategory(t *testing.T) {
	e := newEnv(t, emulator.Options{Quota: quota.Rates{quota.UserAccountRecovery: 5}, PerUserWriteRPS: -1})
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
	// ChangePassword shares UserAccountRecovery: it is throttled too now.
	_, err := e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: aws.String("x"), PreviousPassword: aws.String(goodPW), ProposedPassword: aws.String(otherPW)})
	wantErr(t, err, "TooManyRequestsException", "")
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
