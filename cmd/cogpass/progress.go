package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"cogpass/job"
	"cogpass/report"
)

// barRefresh is how often the terminal bar is redrawn, and how often the
// counters are copied into it.
const barRefresh = 150 * time.Millisecond

// rateWindow is how far back the rows/s figure (and so the ETA) looks: long
// enough to smooth out bursts of retries, short enough to follow the pacer
// when it backs off.
const rateWindow = 10 * time.Second

// progress shows a running job: a live bar (vbauerster/mpb) on a terminal,
// or a structured log line every interval elsewhere, never a carriage
// return in CI logs. Row is called by every worker for every row, at up to
// tens of thousands a second, so it only touches atomics; one goroutine
// reads them on a ticker.
type progress struct {
	w        io.Writer
	terminal bool
	quiet    bool
	log      *slog.Logger
	total    int64
	start    time.Time

	done      atomic.Int64
	failed    atomic.Int64
	throttled atomic.Int64  // highest Counts.Throttled seen
	limit     atomic.Uint64 // float64 bits of the pacer's current rate
	rowsPerS  atomic.Uint64 // float64 bits of the recent rows/s, kept by the ticker

	// Terminal only: the bar and where log lines go while it is drawn.
	container *mpb.Progress
	bar       *mpb.Bar
	out       *barWriter

	samples []sample // the ticker's own, over rateWindow

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type sample struct {
	at   time.Time
	done int64
}

func newProgress(w io.Writer, terminal bool, total int64, quiet bool, log *slog.Logger, interval time.Duration) *progress {
	p := &progress{w: w, terminal: terminal && !quiet, quiet: quiet, log: log, total: max(total, 0), start: time.Now(), stop: make(chan struct{})}
	p.out = &barWriter{w: w}
	if quiet {
		return p
	}
	if p.terminal {
		p.startBar()
		interval = barRefresh
	}
	if interval <= 0 {
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case now := <-t.C:
				p.tick(now)
			}
		}
	})
	return p
}

// startBar sets up the mpb container. The caller has decided w is a
// terminal (it may be a wrapper around one, or a test buffer), so the
// container is told so rather than left to guess from w's type.
func (p *progress) startBar() {
	p.container = mpb.New(
		mpb.WithOutput(crWriter{p.w}),
		mpb.ForceTTY(),
		mpb.WithAutoRefresh(),
		mpb.WithRefreshRate(barRefresh),
		mpb.WithWidth(100),
	)
	space := decor.WC{C: decor.DextraSpace}
	counter := decor.Any(func(s decor.Statistics) string {
		return fmt.Sprintf("%d/%d rows", s.Current, p.total)
	}, decor.WC{C: decor.DindentRight})
	var fillerBuilder mpb.BarFillerBuilder = mpb.BarStyle()
	if p.total == 0 {
		// Unknown total (manifest on stdin, dry run): a counter, no bar and no ETA.
		counter = decor.Any(func(s decor.Statistics) string {
			return fmt.Sprintf("%d rows", s.Current)
		}, decor.WC{C: decor.DindentRight})
		fillerBuilder = mpb.NopStyle()
	}
	appended := []decor.Decorator{
		decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%.1f rows/s", p.rate()) }, space),
	}
	if p.total > 0 {
		appended = append(appended, decor.Any(func(s decor.Statistics) string {
			return "ETA " + p.eta(s.Current)
		}, space))
	}
	appended = append(appended,
		decor.Any(func(decor.Statistics) string { return fmt.Sprintf("failed %d", p.failed.Load()) }, space),
		decor.Any(func(decor.Statistics) string { return fmt.Sprintf("throttled %d", p.throttled.Load()) }, space),
	)
	p.bar = p.container.New(p.total, fillerBuilder,
		mpb.PrependDecorators(counter),
		mpb.AppendDecorators(appended...),
	)
	p.out.set(p.container)
}

// Row counts a finished row; the job calls it from every worker.
func (p *progress) Row(row report.Row, c job.Counts) {
	p.done.Add(1)
	if row.Outcome == report.Failed {
		p.failed.Add(1)
	}
	// Workers report in any order: keep the highest count, not the last.
	for {
		cur := p.throttled.Load()
		if c.Throttled <= cur || p.throttled.CompareAndSwap(cur, c.Throttled) {
			break
		}
	}
	if bits := math.Float64bits(c.Rate); p.limit.Load() != bits {
		p.limit.Store(bits)
	}
}

// Interrupted says at once, on a line of its own, what the first signal
// does; on a terminal it goes above the bar, which goes on counting the
// rows that finish.
func (p *progress) Interrupted(msg string) {
	fmt.Fprintln(p.out, msg)
}

// crWriter starts every write to the terminal at the line's first column.
// The bar leaves the cursor at the start of its own line between redraws,
// and the terminal echoes a Ctrl-C there as "^C": without the carriage
// return, the next redraw (or a line printed above the bar) would start two
// columns in, and the count would read as garbage.
type crWriter struct{ w io.Writer }

func (c crWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if _, err := c.w.Write(append([]byte{'\r'}, b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Writer is where log lines should go while the job runs: on a terminal
// they are printed above the bar instead of through it.
func (p *progress) Writer() io.Writer { return p.out }

// tick runs on the ticker goroutine only.
func (p *progress) tick(now time.Time) {
	done := p.done.Load()
	p.samples = append(p.samples, sample{now, done})
	cut := 0
	for cut < len(p.samples)-1 && now.Sub(p.samples[cut+1].at) >= rateWindow {
		cut++
	}
	p.samples = p.samples[cut:]
	oldest := sample{p.start, 0}
	if now.Sub(p.start) >= rateWindow {
		oldest = p.samples[0]
	}
	rate := 0.0
	if dt := now.Sub(oldest.at).Seconds(); dt > 0 {
		rate = float64(done-oldest.done) / dt
	}
	p.rowsPerS.Store(math.Float64bits(rate))
	if p.terminal {
		p.bar.SetCurrent(done)
		return
	}
	p.logLine(done)
}

func (p *progress) rate() float64 { return math.Float64frombits(p.rowsPerS.Load()) }

func (p *progress) eta(done int64) string {
	rate := p.rate()
	if p.total <= 0 || rate <= 0 || done >= p.total {
		return "-"
	}
	return time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
}

func (p *progress) logLine(done int64) {
	p.log.Info("progress", "done", done, "total", p.total, "rows_per_second", progressRound(p.rate()),
		"eta", p.eta(done), "failed", p.failed.Load(), "throttled", p.throttled.Load(),
		"rate_limit", progressRound(math.Float64frombits(p.limit.Load())))
}

func progressRound(v float64) float64 { return math.Round(v*10) / 10 }

// Close stops the display. On a terminal the bar is drawn a last time with
// the final counts and left on screen; a job that stopped early leaves it
// short of its total.
func (p *progress) Close() {
	p.closeOnce.Do(func() {
		if p.quiet {
			return
		}
		close(p.stop)
		p.wg.Wait()
		if !p.terminal {
			return
		}
		done := p.done.Load()
		p.bar.SetCurrent(done)
		if p.total == 0 || done >= p.total {
			p.bar.SetTotal(-1, true) // complete at the count reached
		} else {
			p.bar.Abort(false) // keep it drawn where it stopped
		}
		p.container.Wait()
		p.out.set(nil)
	})
}

// barWriter sends writes above the bar while one is drawn, and straight to
// w otherwise.
type barWriter struct {
	w  io.Writer
	mu sync.RWMutex
	c  *mpb.Progress
}

func (b *barWriter) set(c *mpb.Progress) {
	b.mu.Lock()
	b.c = c
	b.mu.Unlock()
}

func (b *barWriter) Write(data []byte) (int, error) {
	b.mu.RLock()
	c := b.c
	b.mu.RUnlock()
	if c != nil {
		n, err := c.Write(data)
		var done mpb.ErrDone[*mpb.Progress]
		if !errors.As(err, &done) {
			return n, err
		}
	}
	return b.w.Write(data)
}

// logSink is the logger's output for a job: stderr until the progress
// display starts, then the display's Writer, so that log lines (a failed
// row, a rate change) print above the bar instead of through it. The logger
// is made before the display, hence the late binding.
type logSink struct {
	w atomic.Pointer[io.Writer]
}

func newLogSink(w io.Writer) *logSink {
	s := &logSink{}
	s.use(w)
	return s
}

// use sends later writes to w.
func (s *logSink) use(w io.Writer) { s.w.Store(&w) }

func (s *logSink) Write(p []byte) (int, error) { return (*s.w.Load()).Write(p) }
