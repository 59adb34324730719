// Package pacing finds and holds the request rate that Cognito actually
// grants the job, under a ceiling the operator sets (--rate).
//
// Cognito's quota is a token bucket per account, region and category, shared
// with the production app: a call over it fails at once with
// TooManyRequestsException rather than queueing, so there is no rising
// latency to watch — a throttle is the only signal. The Controller is a
// congestion controller driven by that signal:
//
//   - Decrease. On a throttle the rate is cut to Decrease times the rate
//     that got through (successful calls per second over the last second),
//     not times the rate we were sending: when a job starts at a ceiling of
//     500/s against a quota of 50/s, one cut lands near 45/s instead of ten
//     cuts of 30% each, and the few hundred calls those ten cuts would
//     throttle are saved. Until a second of answers has been seen, the cut
//     falls back to Decrease times the sending rate (plain multiplicative
//     decrease). Throttles from calls that were already in flight when the
//     rate was cut say nothing new, so cuts are at most one per Hold.
//   - Increase. After a cut the rate climbs back along a cubic curve (as
//     TCP CUBIC and the AWS SDKs' adaptive retry mode do), fast at first
//     and flat on a plateau a little under the rate that got through (0.95
//     of it), holds there, then probes above it faster and faster. The job
//     thus spends most of its time just under the quota it found (a plain
//     additive increase after a 30% cut averages about 85% of the quota),
//     and still finds a quota that was raised, or that production stopped
//     using, within seconds. The curve advances only while calls succeed:
//     an idle job does not ratchet its rate up.
//   - Sharing. The quota is shared with a production app that does not
//     retry, so every throttle the job provokes may fail one of the app's
//     calls, and the bucket can bank a burst (Cognito documents rates, not
//     bucket sizes; the emulator banks a second of quota): a probe is only
//     throttled once it has drained what the bucket saved while the job
//     held below the limit, by when it is well above the limit and the
//     rate that got through over the last second overstates what is left.
//     So a throttled probe goes back under the plateau (0.95 of it), not to
//     0.9 of that rate; the plateau creeps up by at most 3% per probe; and
//     the hold on the plateau, 2 s after a cut at a new level, doubles with
//     each probe that finds the limit where the last one did, up to 16 s. A
//     job sharing the quota with a steady app settles just under what the
//     app leaves and probes above it a few times a minute. Throttles that
//     keep coming within a second of a cut mean the cut was not deep enough
//     (the rate that got through was inflated by the bucket draining): the
//     rate is cut again, by Decrease from where it is, and the plateau is
//     where the throttles stop. A probe throttled at more than twice the
//     plateau, or a throttle with less than 0.8 of the plateau getting
//     through, is a new level, and the hold starts over from 2 s. A first
//     throttle at the ceiling is calls clumping at a quota the operator
//     gave as --rate: the plateau stays at the ceiling.
//
// Wait paces attempts with a golang.org/x/time/rate limiter whose burst is
// kept to about 20 ms of traffic, so calls leave evenly spaced and do not
// empty the server's bucket in a clump.
package pacing

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options tune a Controller. Zero fields take the defaults below.
type Options struct {
	// Start is the initial rate, calls per second. Default: the ceiling.
	Start float64
	// Floor is the lowest rate a cut goes to. Default 1/s: the job keeps
	// probing even when the quota looks fully used.
	Floor float64
	// Decrease is the factor applied on a throttle to the rate that got
	// through. Default 0.9: the rate that got through is a measurement of
	// the available quota, so the cut only needs to leave the server's
	// bucket some room to refill; a deeper cut just idles.
	Decrease float64
	// Increase is the cubic growth constant C, in calls/s per s³: t seconds
	// of successful running after the flat part of the curve add C·t³
	// calls/s. Default 0.4, the value TCP CUBIC and the AWS SDKs use; with
	// Decrease 0.9 it takes the rate from 45 to its plateau of 47.5/s in
	// about 1.8 s, and 10 s of clean running beyond the hold adds 400/s.
	Increase float64
	// Hold is the time after a cut during which further throttles do not
	// cut again. Default 100 ms, about one round trip to Cognito: the
	// throttles of calls sent before the cut arrive within it. Because cuts
	// are relative to the measured rate that got through, a longer round
	// trip costs little: the next cut lands at the same place.
	Hold time.Duration
	// OnChange, if set, is called after each cut, and when the rate has
	// grown by 10% (or reached the ceiling) since it was last reported. It
	// is called without the controller's lock held, for logging.
	OnChange func(old, new float64)
}

const (
	defaultFloor    = 1
	defaultDecrease = 0.9
	defaultIncrease = 0.4
	defaultHold     = 100 * time.Millisecond

	// window is how far back the rate that got through is measured.
	window = time.Second
	// buckets divide the window; 50 ms each.
	buckets = 20
	// minSpan is the shortest span of answers a measurement is trusted on.
	minSpan = 100 * time.Millisecond
	// maxGap is the most one gap between successes adds to the growth
	// clock, so that a pause (the job waiting on its reader, a backoff)
	// does not count as clean running.
	maxGap = time.Second
	// burstTime sizes the limiter's burst.
	burstTime = 20 * time.Millisecond
	// reportStep is the growth that triggers OnChange.
	reportStep = 1.10
)

// Controller paces calls at a rate that adapts to throttles, under a ceiling.
// It is safe for concurrent use.
type Controller struct {
	lim      *rate.Limiter
	turn     chan struct{} // one waiter on lim at a time
	ceiling  float64
	floor    float64
	decrease float64
	c        float64 // cubic constant
	hold     time.Duration
	onChange func(old, new float64)

	mu          sync.Mutex
	rate        float64   // current rate
	set         float64   // rate last given to the limiter
	reported    float64   // rate last given to OnChange
	lastMax     float64   // rate that got through at the last new level
	k           float64   // seconds of growth from the cut to the plateau
	plateau     float64   // rate the curve holds at after a cut
	holdFor     float64   // seconds of growth the curve stays on the plateau
	caution     int       // throttled probes in a row at the same level
	grown       float64   // seconds of growth since the last cut
	lastOK      time.Time // last success, zero before any
	lastCut     time.Time
	episode     time.Time // first cut of the last episode of throttles
	nearCeiling bool      // the episode's first cut was at the ceiling
	afterProbe  bool      // the episode's first cut was a throttled probe
	first       time.Time // first answer (success or throttle)
	counts      [buckets]int
	stamp       [buckets]int64 // which window slot each bucket counts
}

// NewController returns a controller pacing at opts.Start (default ceiling)
// calls per second, never above ceiling. A ceiling of 0 or less, or +Inf,
// means no ceiling: the rate is whatever the quota allows.
func NewController(ceiling float64, opts Options) *Controller {
	if ceiling <= 0 || math.IsNaN(ceiling) {
		ceiling = math.Inf(1)
	}
	c := &Controller{
		ceiling:  ceiling,
		floor:    positive(opts.Floor, defaultFloor),
		decrease: positive(opts.Decrease, defaultDecrease),
		c:        positive(opts.Increase, defaultIncrease),
		hold:     opts.Hold,
		onChange: opts.OnChange,
		turn:     make(chan struct{}, 1),
	}
	if c.hold <= 0 {
		c.hold = defaultHold
	}
	if c.decrease >= 1 {
		c.decrease = defaultDecrease
	}
	c.floor = min(c.floor, ceiling)
	start := opts.Start
	if start <= 0 || start > ceiling {
		start = ceiling
	}
	start = max(start, c.floor)
	c.rate, c.set, c.reported = start, start, start
	// Before any throttle the curve starts on its flat part at the start
	// rate, so a job that starts below its ceiling probes upward gently
	// first.
	c.lastMax = start
	c.plateau = start
	c.lim = rate.NewLimiter(limitOf(start), burstOf(start))
	return c
}

func positive(v, def float64) float64 {
	if v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return v
	}
	return def
}

func limitOf(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

func burstOf(r float64) int {
	if math.IsInf(r, 1) {
		return 1
	}
	return max(1, int(r*burstTime.Seconds()))
}

// Wait blocks until the next attempt may be sent, or ctx ends. Every attempt
// pays, retries included.
//
// Callers queue for the limiter one at a time. rate.Limiter lets every
// waiter reserve its slot up front, so with 50 workers a second of calls
// would be booked at the old rate when a throttle cuts it and the cut would
// only bite a second later, by when more throttles would have cut again.
// With one reservation outstanding a cut applies to the very next call.
func (c *Controller) Wait(ctx context.Context) error {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.turn }()
	return c.lim.Wait(ctx)
}

// Rate is the current rate, calls per second.
func (c *Controller) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// Ceiling is the rate the controller never exceeds.
func (c *Controller) Ceiling() float64 { return c.ceiling }

// Succeeded records an attempt that the quota let through (whatever the
// API answered, as long as it was not a throttle) and lets the rate grow.
func (c *Controller) Succeeded() {
	now := time.Now()
	c.mu.Lock()
	c.count(now)
	if !c.lastOK.IsZero() {
		c.grown += min(now.Sub(c.lastOK), maxGap).Seconds()
	}
	c.lastOK = now
	old, cur, report := c.update(c.curve())
	c.mu.Unlock()
	if report {
		c.onChange(old, cur)
	}
}

// Throttled records a throttled attempt and cuts the rate, unless a cut
// happened less than Hold ago.
func (c *Controller) Throttled() {
	now := time.Now()
	c.mu.Lock()
	if c.first.IsZero() {
		c.first = now
	}
	if !c.lastCut.IsZero() && now.Sub(c.lastCut) < c.hold {
		c.mu.Unlock()
		return
	}
	base := c.rate
	if through, ok := c.through(now); ok {
		base = min(base, through)
	}
	if math.IsInf(base, 1) {
		// No ceiling and nothing measured yet: no rate to cut from. The
		// next throttle will have a measurement.
		c.mu.Unlock()
		return
	}
	target := c.cut(now, base)
	c.lastCut = now
	c.grown = 0
	c.lastOK = time.Time{}
	old := c.rate
	_, cur, _ := c.update(target)
	c.reported = cur
	c.mu.Unlock()
	if c.onChange != nil && old != cur {
		c.onChange(old, cur)
	}
}

// The plateau and its hold. See the package comment.
const (
	// plateauFrac places the plateau under the rate that got through at a
	// cut, and a throttled probe's cut under the plateau.
	plateauFrac = 0.95
	// ceilingNear: a first throttle with at least this share of the
	// ceiling getting through is calls clumping at a quota the operator
	// knows (--rate = quota): the plateau stays at the ceiling.
	ceilingNear = 0.97
	// holdBase and holdMax bound the hold on the plateau, in seconds of
	// growth: holdBase after a cut at a new level, doubling with each probe
	// that finds the limit where the last one did, up to holdMax. holdMax
	// plus the cubic's climb bounds how long a quota that came back (or an
	// app that stopped) takes to be found.
	holdBase = 2.0
	holdMax  = 16.0
	// grewFrac: a probe throttled with more than this multiple of the
	// plateau getting through found a new level. Below it, the rate that
	// got through says little: a probe is only throttled once it has
	// drained what the server's bucket saved during the hold (up to a
	// second of quota), by when it is well above the limit.
	grewFrac = 2.0
	// creep is the most a throttled probe raises the plateau, so that a
	// plateau set low by an unlucky measurement moves up over a few probes.
	creep = 1.03
	// dropFrac: a throttle on or under the plateau with less than this
	// share of it getting through is a quota that fell; the hold starts
	// over from holdBase.
	dropFrac = 0.8
	// episodeGap: throttles that keep coming this soon after the first
	// cut of an episode mean the cut was not deep enough.
	episodeGap = time.Second
)

// cut places the curve after a throttle with base the rate that got through
// (at most the current rate), and returns the rate to cut to. Callers hold
// c.mu.
func (c *Controller) cut(now time.Time, base float64) float64 {
	var target float64
	probing := c.grown > c.k+c.holdFor
	switch {
	case !c.episode.IsZero() && now.Sub(c.episode) < episodeGap && !c.nearCeiling:
		// Still throttled after a cut: the rate that got through was
		// inflated by the server's bucket draining, and the quota is
		// below where we cut to. Cut again from there and hold where
		// the throttles stop.
		target = base * c.decrease
		if !c.afterProbe {
			c.lastMax = max(target, base)
			c.plateau = target
		}
	case probing && !c.episode.IsZero() && base <= grewFrac*c.plateau:
		// A probe above a plateau that ran clean found the same
		// limit: go back under the plateau, hold there longer before
		// the next probe.
		c.episode = now
		target = min(base*c.decrease, plateauFrac*c.plateau)
		c.plateau = min(max(c.plateau, plateauFrac*base), creep*c.plateau)
		c.caution = min(c.caution+1, 10)
		c.nearCeiling = false
		c.afterProbe = true
	default:
		// A new level: the first throttle, a probe that found much
		// more room, or a throttle on the way to the plateau or on it
		// (the quota, or what the app leaves of it, is lower). The
		// hold starts over, unless the plateau was only a little high.
		if probing || c.episode.IsZero() || base < dropFrac*c.plateau {
			c.caution = 0
		}
		c.episode = now
		c.afterProbe = false
		target = base * c.decrease
		c.lastMax = max(target, base)
		c.nearCeiling = c.lastMax >= ceilingNear*c.ceiling
		if c.nearCeiling {
			// Throttled at the operator's --rate: the quota is about
			// what they said, and the throttle is calls clumping.
			c.plateau = c.lastMax
		} else {
			c.plateau = max(target, plateauFrac*c.lastMax)
		}
	}
	target = max(c.floor, min(c.rate, target))
	c.plateau = max(c.plateau, target)
	c.holdFor = min(holdMax, holdBase*math.Pow(2, float64(c.caution)))
	c.k = math.Cbrt((c.plateau - target) / c.c)
	return target
}

// curve is the rate after c.grown seconds of growth: concave up to the
// plateau, flat there for holdFor, then convex beyond.
func (c *Controller) curve() float64 {
	d := c.grown - c.k
	if d < 0 {
		return c.plateau + c.c*d*d*d
	}
	d = max(0, d-c.holdFor)
	return c.plateau + c.c*d*d*d
}

// update sets the rate (bounded by floor and ceiling), passes it to the
// limiter when it moved by more than 1%, and says whether OnChange is due.
// Callers hold c.mu.
func (c *Controller) update(r float64) (old, cur float64, report bool) {
	r = min(max(r, c.floor), c.ceiling)
	c.rate = r
	if r != c.set && (math.IsInf(c.set, 1) || math.Abs(r-c.set) > 0.01*c.set || r == c.ceiling) {
		c.set = r
		c.lim.SetLimit(limitOf(r))
		c.lim.SetBurst(burstOf(r))
	}
	if c.onChange != nil && r > c.reported && (r >= c.reported*reportStep || r == c.ceiling) {
		old, c.reported = c.reported, r
		return old, r, true
	}
	return 0, r, false
}

// count adds a success to the measurement window. Callers hold c.mu.
func (c *Controller) count(now time.Time) {
	if c.first.IsZero() {
		c.first = now
	}
	slot := now.UnixNano() / int64(window/buckets)
	i := slot % buckets
	if c.stamp[i] != slot {
		c.stamp[i] = slot
		c.counts[i] = 0
	}
	c.counts[i]++
}

// through is the rate of successes over the last window (or since the
// first answer, if that is more recent), and whether enough of it has been
// seen to trust it. Callers hold c.mu.
func (c *Controller) through(now time.Time) (float64, bool) {
	if c.first.IsZero() {
		return 0, false
	}
	const width = int64(window / buckets)
	slot := now.UnixNano() / width
	oldest := slot - buckets + 1
	from := time.Unix(0, oldest*width)
	if c.first.After(from) {
		from = c.first
	}
	span := now.Sub(from)
	if span < minSpan {
		return 0, false
	}
	n := 0
	for i := range buckets {
		if s := c.stamp[i]; s >= oldest && s <= slot {
			n += c.counts[i]
		}
	}
	return float64(n) / span.Seconds(), true
}

// Workers is the number of workers that sustain rate calls per second when
// each call takes latency: Little's law (rate × latency calls in flight)
// with half again as many for latency spikes and retries waiting out their
// backoff, plus one; between MinWorkers and MaxWorkers.
func Workers(rate float64, latency time.Duration) int {
	if rate <= 0 || math.IsNaN(rate) || latency <= 0 {
		return MinWorkers
	}
	if math.IsInf(rate, 1) {
		return MaxWorkers
	}
	n := math.Ceil(rate*latency.Seconds()*1.5) + 1
	if n > MaxWorkers {
		return MaxWorkers
	}
	return max(MinWorkers, int(n))
}

const (
	// MinWorkers keeps a few calls in flight even at low rates, so one slow
	// answer does not stall the job, and lets a fast endpoint use both cores.
	MinWorkers = 4
	// MaxWorkers bounds the goroutines and connections: at Cognito's
	// latencies (tens of ms) it carries several thousand calls per second.
	MaxWorkers = 256
)

// Latency tracks call latency as an exponentially weighted moving average,
// for sizing the worker pool with Workers while the job runs. It is safe for
// concurrent use; the zero value is ready.
type Latency struct {
	mu  sync.Mutex
	avg float64 // seconds
	n   int
}

// NewLatency returns an empty tracker (the zero Latency is ready too).
func NewLatency() *Latency { return &Latency{} }

// latencyAlpha weighs a new sample: about the last 20 calls count, enough to
// smooth jitter and to follow a change within a second at Cognito rates.
const latencyAlpha = 0.1

// Observe adds one call's latency.
func (l *Latency) Observe(d time.Duration) {
	if d < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	s := d.Seconds()
	// The first samples are averaged plainly so that one odd first call
	// does not dominate.
	alpha := max(latencyAlpha, 1/float64(l.n))
	l.avg += alpha * (s - l.avg)
}

// Value is the current average, 0 before any sample.
func (l *Latency) Value() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.avg * float64(time.Second))
}
