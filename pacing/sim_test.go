package pacing

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// sim is a simulated Cognito: a token-bucket quota the controller does not
// know, workers with a fixed round trip, and per-second tallies of what the
// server let through and what it throttled. It runs inside a synctest
// bubble, so its minutes of traffic take milliseconds.
type sim struct {
	quota   *rate.Limiter
	latency time.Duration
	start   time.Time

	mu        sync.Mutex
	ok, thr   []int // per simulated second
	rateTrace []float64
	// appOK and appThr tally the other client's calls (runSimShared).
	appOK, appThr []int
}

type phase struct {
	at    time.Duration
	quota float64
}

// run drives ctrl with workers against a server whose quota follows phases
// (the first at 0), for d of simulated time.
func runSim(t *testing.T, ctrl *Controller, workers int, latency, d time.Duration, burst int, phases ...phase) *sim {
	return runSimJitter(t, ctrl, workers, latency, 0, d, burst, phases...)
}

// runSimJitter is runSim with each leg of a round trip taking latency/2 ±
// jitter/2, uniformly.
func runSimJitter(t *testing.T, ctrl *Controller, workers int, latency, jitter, d time.Duration, burst int, phases ...phase) *sim {
	t.Helper()
	return runSimShared(t, ctrl, workers, latency, jitter, d, burst, 0, phases...)
}

// runSimShared is runSimJitter with another client (a production app)
// sending app calls per second to the same quota, open loop and without
// retries, from the start: evenly spaced, each with the same round trip.
func runSimShared(t *testing.T, ctrl *Controller, workers int, latency, jitter, d time.Duration, burst int, app float64, phases ...phase) *sim {
	t.Helper()
	s := &sim{
		appOK:   make([]int, int(d/time.Second)+1),
		appThr:  make([]int, int(d/time.Second)+1),
		quota:   rate.NewLimiter(rate.Limit(phases[0].quota), burst),
		latency: latency,
		start:   time.Now(),
		ok:      make([]int, int(d/time.Second)+1),
		thr:     make([]int, int(d/time.Second)+1),
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, p := range phases[1:] {
			if err := sleepCtx(ctx, p.at-time.Since(s.start)); err != nil {
				return
			}
			s.quota.SetLimit(rate.Limit(p.quota))
		}
	})
	wg.Go(func() {
		for sleepCtx(ctx, time.Second) == nil {
			s.mu.Lock()
			s.rateTrace = append(s.rateTrace, ctrl.Rate())
			s.mu.Unlock()
		}
	})
	if app > 0 {
		wg.Go(func() {
			tick := time.NewTicker(time.Duration(float64(time.Second) / app))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				wg.Go(func() {
					time.Sleep(leg(latency, jitter))
					allowed := s.quota.Allow()
					time.Sleep(leg(latency, jitter))
					if ctx.Err() != nil {
						return
					}
					sec := int(time.Since(s.start) / time.Second)
					s.mu.Lock()
					if allowed {
						s.appOK[sec]++
					} else {
						s.appThr[sec]++
					}
					s.mu.Unlock()
				})
			}
		})
	}
	for range workers {
		wg.Go(func() {
			for {
				if ctrl.Wait(ctx) != nil {
					return
				}
				time.Sleep(leg(latency, jitter)) // request on its way
				allowed := s.quota.Allow()
				time.Sleep(leg(latency, jitter)) // answer on its way
				if ctx.Err() != nil {
					return
				}
				sec := int(time.Since(s.start) / time.Second)
				s.mu.Lock()
				if allowed {
					s.ok[sec]++
				} else {
					s.thr[sec]++
				}
				s.mu.Unlock()
				if allowed {
					ctrl.Succeeded()
				} else {
					ctrl.Throttled()
				}
			}
		})
	}
	wg.Wait()
	return s
}

func leg(latency, jitter time.Duration) time.Duration {
	if jitter <= 0 {
		return latency / 2
	}
	return latency/2 - jitter/2 + rand.N(jitter+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// window sums successes and throttles over simulated seconds [from, to).
func (s *sim) window(from, to int) (okRate, throttleShare float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, thr := 0, 0
	for i := from; i < to && i < len(s.ok); i++ {
		ok += s.ok[i]
		thr += s.thr[i]
	}
	if ok+thr == 0 {
		return 0, 0
	}
	return float64(ok) / float64(to-from), float64(thr) / float64(ok+thr)
}

// converged is the first second from which every 5-second window stays
// within tol of want, or -1.
func (s *sim) converged(want, tol float64, from, to int) int {
	first := -1
	for sec := from; sec+5 <= to; sec++ {
		r, _ := s.window(sec, sec+5)
		if math.Abs(r-want) <= tol*want {
			if first < 0 {
				first = sec
			}
		} else {
			first = -1
		}
	}
	return first
}

// appWindow is the other client's throttled share over simulated seconds
// [from, to).
func (s *sim) appWindow(from, to int) (throttleShare float64, calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, thr := 0, 0
	for i := from; i < to && i < len(s.appOK); i++ {
		ok += s.appOK[i]
		thr += s.appThr[i]
	}
	if ok+thr == 0 {
		return 0, 0
	}
	return float64(thr) / float64(ok+thr), ok + thr
}

func (s *sim) logSummary(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Logf("successes/s: %v", s.ok)
	t.Logf("throttles/s: %v", s.thr)
	if slices.ContainsFunc(s.appThr, func(n int) bool { return n > 0 }) || slices.ContainsFunc(s.appOK, func(n int) bool { return n > 0 }) {
		t.Logf("other client's successes/s: %v", s.appOK)
		t.Logf("other client's throttles/s: %v", s.appThr)
	}
	trace := make([]int, len(s.rateTrace))
	for i, r := range s.rateTrace {
		trace[i] = int(math.Round(r))
	}
	t.Logf("controller rate/s: %v", trace)
}

const simLatency = 60 * time.Millisecond

// TestUnknownQuota: the operator asks for 500/s, the account grants 50/s.
func TestUnknownQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(500, Options{})
		s := runSim(t, ctrl, Workers(500, simLatency), simLatency, 60*time.Second, 5, phase{0, 50})
		s.logSummary(t)

		conv := s.converged(50, 0.10, 0, 60)
		if conv < 0 || conv > 30 {
			t.Errorf("achieved rate within 10%% of 50/s from second %d; want by 30", conv)
		}
		r, thr := s.window(30, 60)
		if math.Abs(r-50) > 5 {
			t.Errorf("achieved %.1f/s over seconds 30-60, want 50 ± 10%%", r)
		}
		if thr >= 0.05 {
			t.Errorf("throttled %.1f%% of calls over seconds 30-60, want < 5%%", 100*thr)
		}
		all, allThr := s.window(0, 60)
		t.Logf("converged at %ds; seconds 30-60: %.1f/s, %.2f%% throttled; whole run: %.1f/s (%.3f of quota), %.2f%% throttled",
			conv, r, 100*thr, all, all/50, 100*allThr)
		// The benchmark target for this case, over the whole run.
		if all < 0.90*50 || allThr > 0.05 {
			t.Errorf("whole run: %.1f/s, %.2f%% throttled; want >= 45/s and <= 5%%", all, 100*allThr)
		}
	})
}

// TestQuotaDrop: production takes 30/s of a 50/s quota for a while, then
// gives it back.
func TestQuotaDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(500, Options{})
		s := runSim(t, ctrl, Workers(500, simLatency), simLatency, 130*time.Second, 5,
			phase{0, 50}, phase{40 * time.Second, 20}, phase{80 * time.Second, 50})
		s.logSummary(t)

		if r, _ := s.window(30, 40); math.Abs(r-50) > 5 {
			t.Errorf("before the drop: %.1f/s, want 50 ± 10%%", r)
		}
		conv := s.converged(20, 0.15, 40, 80)
		if conv < 0 || conv > 70 {
			t.Errorf("after the drop at 40 s, within 15%% of 20/s from second %d; want by 70", conv)
		}
		r, thr := s.window(50, 80)
		if math.Abs(r-20) > 3 || thr > 0.05 {
			t.Errorf("seconds 50-80: %.1f/s, %.2f%% throttled; want 20 ± 15%%, < 5%%", r, 100*thr)
		}
		up := s.converged(50, 0.10, 80, 130)
		if up < 0 || up > 110 {
			t.Errorf("after the quota came back at 80 s, within 10%% of 50/s from second %d; want by 110", up)
		}
		r2, thr2 := s.window(100, 130)
		if math.Abs(r2-50) > 5 || thr2 > 0.05 {
			t.Errorf("seconds 100-130: %.1f/s, %.2f%% throttled; want 50 ± 10%%, < 5%%", r2, 100*thr2)
		}
		t.Logf("drop: converged at %ds, 50-80 s: %.1f/s %.2f%% throttled; back up at %ds, 100-130 s: %.1f/s %.2f%% throttled",
			conv, r, 100*thr, up, r2, 100*thr2)
	})
}

// TestKnownQuota: --rate equals the quota; the job must use it all.
func TestKnownQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(50, Options{})
		s := runSim(t, ctrl, Workers(50, simLatency), simLatency, 60*time.Second, 5, phase{0, 50})
		s.logSummary(t)
		r, thr := s.window(0, 60)
		if r < 0.97*50 || thr > 0.01 {
			t.Errorf("achieved %.2f/s (%.3f of quota), %.2f%% throttled; want >= 0.97, <= 1%%", r, r/50, 100*thr)
		}
		t.Logf("achieved %.2f/s (%.3f of quota), %.2f%% throttled", r, r/50, 100*thr)
	})
}

// TestKnownQuotaNoBurst: the same with a server bucket of one token, where
// any clumping of calls shows as throttles.
func TestKnownQuotaNoBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(50, Options{})
		s := runSim(t, ctrl, Workers(50, simLatency), simLatency, 30*time.Second, 1, phase{0, 50})
		r, thr := s.window(0, 30)
		if r < 0.97*50 || thr > 0.01 {
			s.logSummary(t)
			t.Errorf("achieved %.2f/s, %.2f%% throttled; want >= 48.5/s, <= 1%%", r, 100*thr)
		}
	})
}

// TestUnknownQuotaJitter is the benchmark case on the fake clock:
// latency 60 ms ± 20 ms, --rate 500, quota 50/s, 3000 calls' worth of time.
func TestUnknownQuotaJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(500, Options{})
		s := runSimJitter(t, ctrl, Workers(500, simLatency), simLatency, 40*time.Millisecond, 60*time.Second, 5, phase{0, 50})
		r, thr := s.window(0, 60)
		t.Logf("achieved %.1f/s (%.3f of quota), %.2f%% throttled", r, r/50, 100*thr)
		if r < 0.90*50 || thr > 0.05 {
			s.logSummary(t)
			t.Errorf("achieved %.1f/s, %.2f%% throttled; want >= 45/s, <= 5%%", r, 100*thr)
		}
	})
}

// TestKnownQuotaJitter: --rate 50 against 50/s with jittered latency.
func TestKnownQuotaJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctrl := NewController(50, Options{})
		s := runSimJitter(t, ctrl, Workers(50, simLatency), simLatency, 40*time.Millisecond, 60*time.Second, 5, phase{0, 50})
		r, thr := s.window(0, 60)
		t.Logf("achieved %.2f/s (%.3f of quota), %.2f%% throttled", r, r/50, 100*thr)
		if r < 0.97*50 || thr > 0.01 {
			s.logSummary(t)
			t.Errorf("achieved %.2f/s, %.2f%% throttled; want >= 48.5/s, <= 1%%", r, 100*thr)
		}
	})
}

// TestSharedQuota is the shared-quota case on the fake clock: a production
// app sends 12 calls/s, open loop and without retries, to a 30/s quota
// (Cognito's UserAccountRecovery, with a bucket of one second as the
// emulator has it) that the job shares, at the job's default ceiling (24/s)
// and at --rate 30. Once the job has found its share (after the first 10
// seconds), the app must see at most 1% of its calls throttled, and the job
// must get at least 0.9 of the 18/s the app leaves.
func TestSharedQuota(t *testing.T) {
	for _, ceiling := range []float64{24, 30} {
		t.Run(fmt.Sprint(ceiling), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const quota, app, d = 30, 12, 120
				ctrl := NewController(ceiling, Options{})
				s := runSimShared(t, ctrl, Workers(ceiling, simLatency), simLatency, 40*time.Millisecond, d*time.Second, quota, app, phase{0, quota})
				s.logSummary(t)
				appThr, appCalls := s.appWindow(10, d)
				r, thr := s.window(10, d)
				t.Logf("seconds 10-%d: app %.2f%% of %d calls throttled; job %.1f/s (%.2f of the %d/s left), %.2f%% throttled",
					d, 100*appThr, appCalls, r, r/(quota-app), quota-app, 100*thr)
				if appThr > 0.01 {
					t.Errorf("the app saw %.2f%% of its calls throttled, want <= 1%%", 100*appThr)
				}
				if r < 0.9*(quota-app) {
					t.Errorf("the job got %.1f/s, want >= 0.9 of %d/s", r, quota-app)
				}
			})
		})
	}
}
