package pacing

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestNewControllerDefaults(t *testing.T) {
	tests := []struct {
		name    string
		ceiling float64
		opts    Options
		rate    float64
		ceil    float64
	}{
		{"start at ceiling", 100, Options{}, 100, 100},
		{"explicit start", 100, Options{Start: 20}, 20, 100},
		{"start above ceiling", 100, Options{Start: 200}, 100, 100},
		{"start below floor", 100, Options{Start: 0.5, Floor: 2}, 2, 100},
		{"floor above ceiling", 0.5, Options{}, 0.5, 0.5},
		{"no ceiling", 0, Options{Start: 10}, 10, math.Inf(1)},
		{"nan ceiling", math.NaN(), Options{Start: 10}, 10, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewController(tt.ceiling, tt.opts)
			if got := c.Rate(); got != tt.rate {
				t.Errorf("Rate() = %v, want %v", got, tt.rate)
			}
			if got := c.Ceiling(); got != tt.ceil {
				t.Errorf("Ceiling() = %v, want %v", got, tt.ceil)
			}
		})
	}
}

// feed records n successes spread evenly over d.
func feed(c *Controller, n int, d time.Duration) {
	for range n {
		time.Sleep(d / time.Duration(n))
		c.Succeeded()
	}
}

func TestThrottledCutsToWhatGotThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var changes [][2]float64
		c := NewController(500, Options{OnChange: func(o, n float64) { changes = append(changes, [2]float64{o, n}) }})
		// 50 successes a second for two seconds while sending at 500.
		feed(c, 100, 2*time.Second)
		c.Throttled()
		if got := c.Rate(); !near(got, 45, 1) {
			t.Errorf("after a throttle with 50/s getting through: rate %v, want ~45 (0.9 x 50)", got)
		}
		// In-flight throttles within Hold do not cut again.
		for range 20 {
			c.Throttled()
		}
		if got := c.Rate(); !near(got, 45, 1) {
			t.Errorf("20 more throttles within Hold: rate %v, want still ~45", got)
		}
		if len(changes) != 1 || changes[0][0] != 500 || !near(changes[0][1], 45, 1) {
			t.Errorf("OnChange calls %v, want one 500 -> ~45", changes)
		}
		// After Hold, a throttle cuts again, from what got through.
		time.Sleep(150 * time.Millisecond)
		c.Throttled()
		if got := c.Rate(); got >= 45 || got < 30 {
			t.Errorf("throttle after Hold: rate %v, want a cut below 45", got)
		}
	})
}

func TestNoCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(0, Options{})
		if !math.IsInf(c.Rate(), 1) || Workers(c.Rate(), time.Second) != MaxWorkers {
			t.Fatalf("no ceiling: rate %v", c.Rate())
		}
		c.Throttled() // nothing measured: nothing to cut from
		feed(c, 25, 500*time.Millisecond)
		c.Throttled()
		if got := c.Rate(); !near(got, 45, 1) {
			t.Fatalf("rate %v after a throttle with 50/s through, want ~45", got)
		}
		// The limiter follows: 46 waits take about a second.
		start := time.Now()
		for range 46 {
			if err := c.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := time.Since(start); got < 900*time.Millisecond || got > 1100*time.Millisecond {
			t.Errorf("46 waits at ~45/s took %v", got)
		}
	})
}

func TestThrottledBlind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// No answers seen yet: plain multiplicative decrease.
		c := NewController(500, Options{Decrease: 0.5})
		c.Throttled()
		if got := c.Rate(); got != 250 {
			t.Errorf("blind cut: rate %v, want 250", got)
		}
	})
}

func TestFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(100, Options{Floor: 5, Hold: time.Millisecond})
		for range 50 {
			time.Sleep(200 * time.Millisecond)
			c.Throttled() // nothing ever gets through
		}
		if got := c.Rate(); got != 5 {
			t.Errorf("rate %v after throttles only, want the floor 5", got)
		}
	})
}

func TestSucceededGrowsToCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reports [][2]float64
		c := NewController(200, Options{Start: 20, OnChange: func(o, n float64) { reports = append(reports, [2]float64{o, n}) }})
		prev := c.Rate()
		for range 30 {
			feed(c, 20, time.Second)
			r := c.Rate()
			if r < prev {
				t.Fatalf("rate fell from %v to %v without a throttle", prev, r)
			}
			prev = r
		}
		if got := c.Rate(); got != 200 {
			t.Errorf("after 30 s of successes: rate %v, want the ceiling 200", got)
		}
		// Reports are at least 10% apart, and the last one says ceiling.
		if len(reports) == 0 || reports[len(reports)-1][1] != 200 {
			t.Fatalf("reports %v, want the last at 200", reports)
		}
		for _, r := range reports[:len(reports)-1] {
			if r[1] < 1.1*r[0]-1e-9 {
				t.Errorf("report %v: less than 10%% growth", r)
			}
		}
	})
}

func TestGrowthNeedsSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(500, Options{Start: 50})
		c.Succeeded()
		time.Sleep(time.Minute) // idle: no clean running
		c.Succeeded()
		if got := c.Rate(); got > 51 {
			t.Errorf("one success after a minute idle: rate %v, want ~50 (gap counts 1 s at most)", got)
		}
	})
}

func TestRecoveryShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(1000, Options{})
		feed(c, 100, time.Second) // 100/s gets through
		c.Throttled()
		if got := c.Rate(); !near(got, 90, 1) {
			t.Fatalf("cut to %v, want ~90", got)
		}
		// Concave back to a plateau a little under what got through,
		// 0.95 x 100, within K = cbrt(5/0.4) ≈ 2.3 s ...
		feed(c, 300, 3*time.Second)
		if got := c.Rate(); !near(got, 95, 2) {
			t.Errorf("3 s after the cut: rate %v, want ~95", got)
		}
		// ... flat there for a while (2 s after a first cut), then faster
		// and faster.
		feed(c, 100, time.Second)
		if got := c.Rate(); got > 97 {
			t.Errorf("4 s after the cut: rate %v, want still near 95", got)
		}
		feed(c, 600, 6*time.Second)
		if got := c.Rate(); got < 150 {
			t.Errorf("10 s after the cut: rate %v, want well above 100 (probing)", got)
		}
	})
}

func TestWaitPaces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(20, Options{})
		ctx := context.Background()
		start := time.Now()
		for range 101 {
			if err := c.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// One token to start with, then 20 a second.
		if got := time.Since(start); got < 4900*time.Millisecond || got > 5100*time.Millisecond {
			t.Errorf("101 waits at 20/s took %v, want ~5 s", got)
		}
	})
}

func TestWaitCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(1, Options{Floor: 0.1})
		ctx, cancel := context.WithCancel(context.Background())
		if err := c.Wait(ctx); err != nil { // the first token
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Go(func() { errs[i] = c.Wait(ctx) })
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
		wg.Wait()
		for i, err := range errs {
			// Canceled while queued, or the rate.Limiter's own refusal to
			// wait past the context: either way an error, at once.
			if err == nil {
				t.Errorf("waiter %d: got a token after cancel", i)
			} else if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "context") {
				t.Errorf("waiter %d: %v", i, err)
			}
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewController(1000, Options{OnChange: func(float64, float64) {}})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := 0; c.Wait(ctx) == nil; i++ {
					time.Sleep(10 * time.Millisecond)
					if (i+w)%17 == 0 {
						c.Throttled()
					} else {
						c.Succeeded()
					}
					if r := c.Rate(); r < 1 || r > 1000 {
						t.Errorf("rate %v out of [floor, ceiling]", r)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

func TestWorkers(t *testing.T) {
	tests := []struct {
		rate    float64
		latency time.Duration
		want    int
	}{
		{50, 60 * time.Millisecond, 6},   // ceil(4.5)+1
		{25, 100 * time.Millisecond, 5},  // ceil(3.75)+1
		{500, 60 * time.Millisecond, 46}, // ceil(45)+1
		{1, 50 * time.Millisecond, MinWorkers},
		{0, time.Second, MinWorkers},
		{50, 0, MinWorkers},
		{-3, time.Second, MinWorkers},
		{math.NaN(), time.Second, MinWorkers},
		{10000, time.Second, MaxWorkers},
		{math.Inf(1), time.Millisecond, MaxWorkers},
	}
	for _, tt := range tests {
		if got := Workers(tt.rate, tt.latency); got != tt.want {
			t.Errorf("Workers(%v, %v) = %d, want %d", tt.rate, tt.latency, got, tt.want)
		}
	}
}

func TestLatency(t *testing.T) {
	l := NewLatency()
	if l.Value() != 0 {
		t.Errorf("zero Latency = %v", l.Value())
	}
	l.Observe(100 * time.Millisecond)
	if got := l.Value(); got != 100*time.Millisecond {
		t.Errorf("one sample: %v", got)
	}
	l.Observe(200 * time.Millisecond)
	if got := l.Value(); got != 150*time.Millisecond {
		t.Errorf("two samples: %v, want the plain mean 150ms", got)
	}
	l.Observe(-time.Second) // ignored
	for range 200 {
		l.Observe(50 * time.Millisecond)
	}
	if got := l.Value(); got < 49*time.Millisecond || got > 51*time.Millisecond {
		t.Errorf("after 200 samples of 50ms: %v", got)
	}
	// Safe for concurrent use.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.Observe(70 * time.Millisecond)
				_ = l.Value()
			}
		})
	}
	wg.Wait()
	if got := l.Value(); got < 69*time.Millisecond || got > 71*time.Millisecond {
		t.Errorf("after 800 samples of 70ms: %v", got)
	}
}
