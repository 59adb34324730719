package job

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// minNetworkFailures is how many calls must have failed with no answer,
// when none is waiting, before the endpoint counts as silent.
const minNetworkFailures = 3

// Defaults for Config.NetworkWarn and Config.NetworkDown.
const (
	defaultNetworkWarn = 5 * time.Second
	defaultNetworkDown = 30 * time.Second
)

// netWatch notices an endpoint that stopped answering: one that accepts
// connections and never answers, one that refuses them, a network that is
// down. Every call is watched from its start to its end; any HTTP answer,
// an error status included, counts as the endpoint answering. When calls
// have been waiting or failing with no answer at all for NetworkWarn it
// says so, and again every NetworkWarn; after NetworkDown it stops the job
// (resumable: the rows in flight get no report row), since every row would
// fail the same way: a network that is down is the job's problem, not each
// row's.
type netWatch struct {
	mu         sync.Mutex
	lastAnswer time.Time // the last answer, or the watch's start
	waiting    map[uint64]time.Time
	next       uint64
	failed     int    // calls failed without an answer since lastAnswer
	lastErr    string // the last of them
	warned     time.Time
}

func newNetWatch() *netWatch {
	return &netWatch{lastAnswer: time.Now(), waiting: map[uint64]time.Time{}}
}

// begin marks a call's start; end must follow with its id.
func (w *netWatch) begin() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	w.waiting[w.next] = time.Now()
	return w.next
}

// end records how the call ended: answered, or failed with no answer
// (network is set by the caller from the error's class).
func (w *netWatch) end(id uint64, err error, network bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.waiting, id)
	var resp *smithyhttp.ResponseError
	switch {
	case err == nil, errors.As(err, &resp) && resp.Response != nil && resp.Response.Response != nil && resp.HTTPStatusCode() != 0:
		w.lastAnswer = time.Now()
		w.failed, w.lastErr = 0, ""
	case network:
		w.failed++
		w.lastErr = err.Error()
	}
}

// state says how long the endpoint has been silent while calls wait or
// fail, and what they came to; silent is 0 when nothing is amiss.
func (w *netWatch) state(now time.Time) (silent time.Duration, waiting, failed int, lastErr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	waiting = len(w.waiting)
	if waiting == 0 && w.failed < minNetworkFailures {
		// Nothing waits, and too few calls failed to say the network is
		// down rather than that a slow job met a blip.
		return 0, 0, 0, ""
	}
	from := w.lastAnswer
	if w.failed < minNetworkFailures {
		// Only waiting: silent since the oldest call started, if later.
		oldest := now
		for _, t := range w.waiting {
			if t.Before(oldest) {
				oldest = t
			}
		}
		if oldest.After(from) {
			from = oldest
		}
	}
	return now.Sub(from), waiting, w.failed, w.lastErr
}

// watchNetwork runs the watch until done is closed, or returns the *Fatal
// that stops the job when the endpoint has not answered for NetworkDown.
func (r *runner) watchNetwork(done <-chan struct{}) error {
	warn, down := r.cfg.NetworkWarn, r.cfg.NetworkDown
	tick := time.NewTicker(max(warn/5, 10*time.Millisecond))
	defer tick.Stop()
	var warned time.Time
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
		}
		now := time.Now()
		silent, waiting, failed, lastErr := r.net.state(now)
		if silent < warn {
			continue
		}
		what := fmt.Sprintf("%d calls waiting", waiting)
		if failed > 0 {
			what = fmt.Sprintf("%d calls failed (%s), %d waiting", failed, shortError(lastErr), waiting)
		}
		if silent >= down {
			return &Fatal{Code: CodeNetworkDown, Err: fmt.Errorf("no answer from %s for %s: %s; the network or the endpoint is down", r.endpoint(), silent.Round(time.Second), what)}
		}
		if now.Sub(warned) >= warn {
			warned = now
			r.log.Warn(fmt.Sprintf("no answer from %s for %s; retrying", r.endpoint(), silent.Round(time.Second)),
				"calls_waiting", waiting, "calls_failed", failed, "last_error", shortError(lastErr),
				"stops_after", down.String())
		}
	}
}

// CodeNetworkDown is the code of the fatal error that stops a job whose
// endpoint stopped answering.
const CodeNetworkDown = "NetworkDown"

// endpoint names where the calls go, for messages.
func (r *runner) endpoint() string {
	if c, ok := r.api.(interface{ Options() cip.Options }); ok {
		o := c.Options()
		if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
			return *o.BaseEndpoint
		}
		if o.Region != "" {
			return "cognito-idp." + o.Region + ".amazonaws.com"
		}
	}
	return "the Cognito endpoint"
}

// shortError keeps the end of an SDK error: its cause, without the
// operation envelope.
func shortError(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i > 12 {
		return s[i+2:]
	}
	return s
}
