package job

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/input"
	"cogpass/pacing"
	"cogpass/report"
)

// queueDepth is how many rows the reader may read ahead of the workers. It
// bounds memory, whatever the manifest's length.
const queueDepth = 256

// limitExceededStop is how many LimitExceededException answers in a row
// stop the job: one is a row's problem, a run of them is the account's
// (a daily e-mail cap, say), and every further call would fail too.
const limitExceededStop = 5

// errStopped marks a row that was not finished because the job stopped; it
// gets no report row so that a resumed run sends it again.
var errStopped = errors.New("job stopped")

type runner struct {
	cfg     Config
	op      operation // the command's write
	api     cognito.API
	rep     ReportWriter
	secrets SecretsWriter
	log     *slog.Logger

	// group runs the job's goroutines (the reader, the workers, the
	// network watch). The first of them to return an error, a *Fatal, ends
	// jobCtx with it as the cause: the job takes no new work. callCtx ends
	// StopGrace later, cutting calls still in flight.
	group    *errgroup.Group
	jobCtx   context.Context
	callCtx  context.Context
	endWatch func()
	close    func()

	write *pacing.Controller // the command's write category
	read  *pacing.Controller // AdminGetUser look-ups
	meta  *pacing.Controller // DescribeUserPool

	signOutAPI   SignOutAPI         // --sign-out
	signOutPacer *pacing.Controller // AdminUserGlobalSignOut
	limitReached atomic.Bool        // --limit stopped the feed

	pools   pools
	stats   *Stats
	latency *pacing.Latency
	// rowSecrets holds the secrets of rows whose calls are out, for scrub.
	rowSecrets rowSecrets
	net        *netWatch

	failed        atomic.Int64
	limitExceeded atomic.Int64
	// reportErr is the first report write that failed. It outranks the
	// error that stopped the job: whatever stopped it first, the operator
	// must learn that the report is incomplete.
	reportMu  sync.Mutex
	reportErr error

	// seen holds the users already sent (see identity.go), hashed with seed.
	seed maphash.Seed
	seen seenSet
	// poolLevel is the pool-level breaker's streak (breakers.go).
	poolLevel poolLevelStreak
	// gonePools maps a pool found missing to Cognito's message (breakers.go).
	gonePools sync.Map
	// reached is set once a call reached a pool: answered with anything
	// but ResourceNotFoundException, or with no answer (breakers.go).
	reached atomic.Bool
	// inFlight counts the calls under way, for the interrupt's message.
	inFlight atomic.Int64
}

// Run runs the job to the end of rows, or until it is stopped by ctx or a
// fatal error, which it returns as a *Fatal. Per-row failures are report
// rows, not errors.
func Run(ctx context.Context, cfg Config, api cognito.API, rows Rows, rep ReportWriter, secrets SecretsWriter) (*Summary, error) {
	r, err := newRunner(ctx, cfg, api)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.setupSignOut(api); err != nil {
		return nil, err
	}
	r.rep, r.secrets = rep, secrets
	cfg, jobCtx := r.cfg, r.jobCtx

	if cfg.lookups() && cfg.Rate > r.read.Ceiling() {
		// Every row waits for its look-up first: the read pacer, not --rate,
		// sets the pace, and nothing else would say so.
		r.log.Warn("user look-ups (AdminGetUser, UserRead quota) are paced below --rate: the job will go no faster than them",
			"read_rate", round(r.read.Ceiling()), "rate", round(cfg.Rate),
			"hint", "raise --read-rate if your UserRead quota allows it, or pass --include-federated when no user is federated")
	}
	defer r.announceInterrupt(ctx)()
	start := time.Now()
	queue := make(chan input.Row, queueDepth)
	var workers sync.WaitGroup
	// A worker takes rows to their report rows. One that meets a job-fatal
	// condition returns it: the group ends jobCtx, and the other workers
	// finish the calls they have in flight (within StopGrace) and drain the
	// queue without sending.
	worker := func() error {
		defer workers.Done()
		for row := range queue {
			if jobCtx.Err() != nil {
				continue // drain: the rows left are sent by a resumed run
			}
			if fatal := r.process(row); fatal != nil {
				return fatal
			}
		}
		return nil
	}
	// The reader and the workers are in the runner's group. The first
	// workers start before the reader; more are added only while the
	// reader runs, never after it closed the queue: once it has, the
	// workers are all counted.
	readerDone := make(chan struct{})
	var mu sync.Mutex
	n, closed := 0, false
	// One cap on the count: the automatic one (pacing.Workers) stops at
	// pacing.MaxWorkers; an explicit Concurrency is the caller's (the
	// --concurrency flag's range bounds it).
	addWorkers := func(want int) {
		mu.Lock()
		defer mu.Unlock()
		for ; !closed && n < want; n++ {
			workers.Add(1)
			r.group.Go(worker)
		}
	}
	if cfg.Concurrency > 0 {
		addWorkers(cfg.Concurrency)
	} else {
		addWorkers(pacing.Workers(r.write.Rate(), 100*time.Millisecond))
	}
	r.group.Go(func() error {
		defer close(readerDone)
		err := r.feed(rows, queue)
		mu.Lock()
		closed = true
		close(queue)
		mu.Unlock()
		var fatal *Fatal
		if err == nil || errors.As(err, &fatal) {
			return err
		}
		// The manifest could not be read on: the rows already queued are
		// still sent, and then the job stops.
		workers.Wait()
		return &Fatal{Err: err}
	})
	if cfg.Concurrency == 0 {
		// Little's law: rate x latency calls are in flight at once. Grow the
		// pool as the measured latency asks; idle workers cost nothing.
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-jobCtx.Done():
					return
				case <-tick.C:
				}
				addWorkers(pacing.Workers(r.write.Rate(), r.latency.Value()))
			}
		}()
	}
	<-readerDone
	workers.Wait()
	r.endWatch() // nothing more to watch: no call is left
	stopErr := r.group.Wait()

	sum := r.stats.summary(time.Since(start))
	mu.Lock()
	sum.Workers = n
	mu.Unlock()
	if cfg.DryRun {
		sum.forecast(r)
	}
	r.incidentSummary(sum)
	if r.reportErr != nil {
		return sum, &Fatal{Err: fmt.Errorf("write report: %w", r.reportErr)}
	}
	if stopErr != nil || ctx.Err() != nil {
		fatal := r.stopped()
		// The job's pool does not exist, and no call of this job reached
		// any pool: the job's files hold nothing worth keeping.
		fatal.unreached = fatal.Code == codePoolNotFound && ctx.Err() == nil && !r.reached.Load()
		return sum, fatal
	}
	return sum, nil
}

// stopped is why the job stopped: the error the first of the group's
// goroutines returned, or the end of the caller's context (a signal),
// whichever came first. Both end jobCtx, and its cause keeps the first.
func (r *runner) stopped() *Fatal {
	cause := context.Cause(r.jobCtx)
	var fatal *Fatal
	if errors.As(cause, &fatal) {
		return fatal
	}
	return &Fatal{Err: cause}
}

// newRunner sets up what Run and Preflight share: the contexts, the
// pacers and the pool cache.
func newRunner(ctx context.Context, cfg Config, api cognito.API) (*runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Backoff == (cognito.Backoff{}) {
		cfg.Backoff = cognito.DefaultBackoff
	}
	if cfg.StopGrace == 0 {
		cfg.StopGrace = 10 * time.Second
	}
	if cfg.NetworkWarn <= 0 {
		cfg.NetworkWarn = defaultNetworkWarn
	}
	if cfg.NetworkDown <= 0 {
		cfg.NetworkDown = defaultNetworkDown
	}
	r := &runner{
		cfg:     cfg,
		op:      operations[cfg.Command],
		api:     api,
		log:     cfg.Logger,
		stats:   newStats(),
		latency: pacing.NewLatency(),
		seed:    maphash.MakeSeed(),
		net:     newNetWatch(),
	}
	r.pools.r = r
	group, jobCtx := errgroup.WithContext(ctx)
	callCtx, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	r.group, r.jobCtx, r.callCtx = group, jobCtx, callCtx
	watchDone := make(chan struct{})
	r.endWatch = sync.OnceFunc(func() { close(watchDone) })
	r.close = func() {
		r.endWatch()
		group.Wait()
		cancelCalls()
	}
	group.Go(func() error { return r.watchNetwork(watchDone) })
	go func() {
		// Calls in flight when the job stops may finish, for StopGrace.
		select {
		case <-jobCtx.Done():
		case <-callCtx.Done():
			return
		}
		t := time.NewTimer(cfg.StopGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelCalls()
		case <-callCtx.Done():
		}
	}()
	r.write = r.newPacer(cfg.Command.Operation(), cfg.Rate)
	r.read = r.newPacer("AdminGetUser", cfg.ReadRate)
	r.meta = r.newPacer("DescribeUserPool", 0)
	return r, nil
}

func (r *runner) newPacer(operation string, ceiling float64) *pacing.Controller {
	if ceiling == 0 {
		ceiling = quota.DefaultRate(operation)
	}
	return pacing.NewController(ceiling, pacing.Options{
		OnChange: func(old, new float64) {
			r.log.Info("rate change", "operation", operation, "from", round(old), "to", round(new))
		},
	})
}

func round(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// feed reads the manifest into queue. Bad rows become report rows at once;
// rows a resumed run already finished are passed over. It returns a *Fatal
// that finish met (the job must stop at once), or the manifest's read error.
func (r *runner) feed(rows Rows, queue chan<- input.Row) error {
	var queued int64 // rows taken for sending, for --limit
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read manifest: %w", err)
		}
		if r.cfg.Skip != nil && r.cfg.Skip(row.Line) {
			r.stats.resumed.Add(1)
			continue
		}
		if r.feedLimit(queued) {
			return nil
		}
		if row.Err != nil {
			if fatal := r.finish(report.Row{
				Line: row.Line, Username: row.Username, Action: r.action(row),
				Outcome: report.Failed, ErrorCode: CodeInvalidManifestRow,
				Message: fmt.Sprintf("line %d: %v", row.Line, row.Err),
			}); fatal != nil {
				return fatal
			}
			continue
		}
		if r.cfg.Plan == nil {
			// No preflight (a dry run, a manifest on stdin): find the rows
			// naming a user again here, in manifest order, as it would.
			first, dup, fatal := r.spelledTwice(row)
			if fatal != nil {
				return fatal
			}
			if dup {
				if fatal := r.finish(report.Row{
					Line: row.Line, Username: row.Username, Action: r.action(row),
					Outcome: report.Failed, ErrorCode: CodeDuplicateUser,
					Message: duplicateMessage(row.Line, first, "", r.cfg.DryRun),
				}); fatal != nil {
					return fatal
				}
				continue
			}
		}
		queued++
		select {
		case queue <- row:
		case <-r.jobCtx.Done():
			return nil
		}
	}
}

// finish writes the row's report row. It returns the *Fatal that stops the
// job when the row is the failure --max-failures allows no more of, or when
// the report cannot be written: going on would touch users with no record of
// it.
func (r *runner) finish(row report.Row) *Fatal {
	if row.FinishedAt.IsZero() {
		row.FinishedAt = time.Now().UTC()
	}
	var fatal *Fatal
	if row.Outcome == report.Failed {
		n := r.failed.Add(1)
		if r.cfg.MaxFailures > 0 && n >= r.cfg.MaxFailures {
			fatal = &Fatal{Line: row.Line, Code: "MaxFailures",
				Err: fmt.Errorf("%d rows failed, the limit set by --max-failures", n)}
		}
	}
	if err := r.rep.Write(row); err != nil {
		r.reportMu.Lock()
		if r.reportErr == nil {
			r.reportErr = err
		}
		r.reportMu.Unlock()
		return firstFatal(fatal, &Fatal{Line: row.Line, Err: fmt.Errorf("write report: %w", err)})
	}
	r.stats.add(row) // the summary counts what reached the report
	if r.cfg.Progress != nil {
		r.cfg.Progress(row, Counts{Calls: r.stats.calls.Load(), Throttled: r.stats.throttled.Load(), Rate: r.write.Rate()})
	}
	if row.Outcome == report.Failed {
		r.log.Warn("row failed", "line", row.Line, "username", row.Username,
			"error_code", row.ErrorCode, "message", row.Message, "attempts", row.Attempts)
	}
	return fatal
}

// firstFatal is the first of fs that is not nil: the one that stops the job
// when a row met several.
func firstFatal(fs ...*Fatal) *Fatal {
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	return nil
}

// callResult is what one API call came to after its retries.
type callResult struct {
	attempts int
	code     string
	message  string
	err      error         // nil on success
	busy     time.Duration // time spent in calls, waits and backoff left out
	// ambiguous is set once an attempt's answer was lost or unreadable
	// after the request went out: that attempt may have been applied.
	ambiguous bool
	// fatal is the job-fatal condition the call met (credentials, the job's
	// pool not found, a run of LimitExceededException), which the caller
	// returns to the runner's group once its row is where it must be.
	fatal *Fatal
}

// call makes fn's API call, paced by pacer, retrying throttles and
// transient faults with full-jitter backoff. It returns errStopped when the
// job stopped before the call could finish, or when the call met a
// job-fatal error (then in fatal too).
func (r *runner) call(pacer *pacing.Controller, line int, fn func(context.Context) error) callResult {
	return r.callOp(pacer, "", line, fn)
}

// callOp is call for an operation other than the one pacer is named for
// (a sign-out paced with the write, on the same quota category). The
// pacing, classifying and retrying are cognito.Call's; the job adds its
// counters, the network watch, the LimitExceeded streak and the stop.
func (r *runner) callOp(pacer *pacing.Controller, operation string, line int, fn func(context.Context) error) callResult {
	if operation == "" {
		operation = r.operationOf(pacer)
	}
	c := cognito.Call{
		Pacer:       pacer,
		Backoff:     r.cfg.Backoff,
		CallContext: r.callCtx,
		Classify:    r.classify,
		Message: func(err error) string {
			return scrub(cognito.ErrorMessage(err), r.rowSecrets.of(line)...)
		},
		Attempt:   r.attempt,
		Throttled: func() { r.stats.throttled.Add(1) },
		Retried:   func() { r.stats.retried.Add(1) },
	}
	cr := c.Do(r.jobCtx, fn)
	r.noteReached(cr)
	res := callResult{attempts: cr.Attempts, code: cr.Code, message: cr.Message, err: cr.Err, busy: cr.Busy, ambiguous: cr.Ambiguous}
	switch {
	case cr.Stopped:
		res.err = errStopped
	case cr.Err == nil:
		if pacer == r.write {
			// The streak is of write calls: a look-up that succeeds
			// says nothing of the cap the writes ran into.
			r.limitExceeded.Store(0)
		}
	case cr.Class == cognito.LimitExceeded:
		if r.limitExceeded.Add(1) >= limitExceededStop {
			res.fatal = &Fatal{Line: line, Code: cr.Code, Err: fmt.Errorf("%s %d times in a row: %s", cr.Code, limitExceededStop, cr.Message)}
		}
	case cr.Class == cognito.Fatal:
		if r.jobCtx.Err() != nil || errors.Is(cr.Err, context.Canceled) {
			res.err = errStopped
			break
		}
		if errors.As(cr.Err, new(*poolNotFound)) {
			break // one pool of several: its rows fail, the job goes on
		}
		res.fatal = &Fatal{Line: line, Code: cr.Code, Err: &cognito.CallError{Operation: operation, Code: cr.Code, Message: cr.Message, Err: cr.Err}}
		res.err = errStopped
	}
	return res
}

// attempt counts and watches one attempt of a call (cognito.Call.Attempt).
func (r *runner) attempt() func(err error, class cognito.Class, code string, took time.Duration) {
	r.stats.calls.Add(1)
	watch := r.net.begin()
	r.inFlight.Add(1)
	return func(err error, class cognito.Class, code string, took time.Duration) {
		r.inFlight.Add(-1)
		r.stats.observe(took)
		r.net.end(watch, err, class == cognito.Retryable && (code == cognito.CodeNetworkError || code == cognito.CodeTimeout))
	}
}

func (r *runner) operationOf(p *pacing.Controller) string {
	switch p {
	case r.read:
		return "AdminGetUser"
	case r.meta:
		return "DescribeUserPool"
	}
	return r.cfg.Command.Operation()
}
