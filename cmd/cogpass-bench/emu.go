package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cogpass/emulator"
)

const poolID = "us-east-1_Bench"

// emu is an emulator serving on a loopback port of this process.
type emu struct {
	srv *emulator.Server
	hs  *http.Server
	url string
	rec *recorder
	// conns counts the TCP connections the emulator accepted: a client
	// whose idle pool is smaller than its workers dials again and again.
	conns atomic.Int64
}

// startEmu starts an emulator with one pool of users seeded users
// (user000001..., CONFIRMED, verified email) and records the calls of the
// operation watch.
func startEmu(opts emulator.Options, users int, watch string) (*emu, error) {
	srv := emulator.New(opts)
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID}); err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	if users > 0 {
		if err := srv.SeedUsers(poolID, users); err != nil {
			return nil, fmt.Errorf("seed users: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	rec := &recorder{op: watch, next: srv}
	e := &emu{srv: srv, rec: rec, url: "http://" + ln.Addr().String()}
	e.hs = &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				e.conns.Add(1)
			}
		}}
	go func() {
		if err := e.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return e, nil
}

func (e *emu) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.hs.Shutdown(ctx)
}

// recorder times the calls of one operation as the emulator answers them:
// when the first arrived, and when each call that the quota let through was
// answered. The achieved rate is measured from these, over the job's write
// phase, independently of what the job itself reports.
type recorder struct {
	op   string
	next http.Handler

	mu       sync.Mutex
	first    time.Time   // first request of op
	last     time.Time   // last answer of op, whatever it was
	accepted []time.Time // answers of op that were not throttles
	calls    int
	throttle int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.op == "" || !strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+r.op) {
		r.next.ServeHTTP(w, req)
		return
	}
	now := time.Now()
	r.mu.Lock()
	if r.first.IsZero() {
		r.first = now
	}
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
	done := time.Now()
	throttled := w.Header().Get("X-Amzn-Errortype") == "TooManyRequestsException"
	r.mu.Lock()
	r.calls++
	if throttled {
		r.throttle++
	} else {
		r.accepted = append(r.accepted, done)
	}
	if done.After(r.last) {
		r.last = done
	}
	r.mu.Unlock()
}

// phase is the recorded write phase.
type phase struct {
	calls, throttled, accepted int
	span                       time.Duration // first request to last answer
	// steady is the accepted rate with the first and last trim of the
	// phase left out: start-up and the tail, where fewer rows are left than
	// workers, are not the pacer's steady state.
	steady float64
}

func (r *recorder) phase(trim time.Duration) phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := phase{calls: r.calls, throttled: r.throttle, accepted: len(r.accepted), span: r.last.Sub(r.first)}
	from, to := r.first.Add(trim), r.last.Add(-trim)
	if to.Sub(from) > time.Second {
		n := 0
		for _, t := range r.accepted {
			if !t.Before(from) && t.Before(to) {
				n++
			}
		}
		p.steady = float64(n) / to.Sub(from).Seconds()
	}
	return p
}

func (p phase) rate() float64 {
	if p.span <= 0 {
		return 0
	}
	return float64(p.accepted) / p.span.Seconds()
}

// steadyRatio is the steady-state rate over quota, "n/a" when the phase is
// too short to leave anything once both ends are cut.
func (p phase) steadyRatio(quota float64) string {
	if p.steady == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", p.steady/quota)
}

func (p phase) throttledShare() float64 {
	if p.calls == 0 {
		return 0
	}
	return float64(p.throttled) / float64(p.calls)
}

// userName is the name SeedUsers gives user i (1-based) of n.
func userName(i, n int) string {
	width := max(6, len(fmt.Sprint(n)))
	return fmt.Sprintf("user%0*d", width, i)
}
