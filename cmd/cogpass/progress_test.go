package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"cogpass/emulator"
	"cogpass/job"
	"cogpass/report"
)

// lockedBuffer is a bytes.Buffer the display goroutines and the test can
// share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls until out holds want: the display draws on its own clock,
// and a test must not guess how long that takes.
func waitFor(t *testing.T, out interface{ String() string }, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output after 10s:\n%q", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func textLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// feed reports n rows from workers goroutines, every failEvery-th failed.
func feed(p *progress, n, workers, failEvery int, throttled int64) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				row := report.Row{Line: i + 2, Outcome: report.Succeeded}
				if failEvery > 0 && i%failEvery == 0 {
					row.Outcome = report.Failed
				}
				p.Row(row, job.Counts{Throttled: throttled * int64(i) / int64(max(n-1, 1)), Rate: 25})
			}
		})
	}
	wg.Wait()
}

func TestProgressTerminal(t *testing.T) {
	tests := []struct {
		name        string
		total, rows int
		want        []string
		dontWant    []string
	}{
		{name: "complete", total: 100, rows: 100, want: []string{"100/100 rows", "failed 10", "throttled 7", "rows/s", "ETA"}},
		{name: "stopped early", total: 100, rows: 40, want: []string{"40/100 rows", "failed 4", "ETA"}},
		{name: "unknown total", total: 0, rows: 30, want: []string{"30 rows", "failed 3", "rows/s"}, dontWant: []string{"ETA", "/0 rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &lockedBuffer{}
			logs := &lockedBuffer{}
			p := newProgress(out, true, int64(tt.total), false, textLogger(logs), 5*time.Second)
			waitFor(t, out, "0") // first frame drawn: the next one must redraw over it
			feed(p, tt.rows, 4, 10, 7)
			fmt.Fprintln(p.Writer(), "a log line") // printed above the bar, not through it
			p.Close()
			got := out.String()
			for _, w := range append(tt.want, "a log line\n") {
				if !strings.Contains(got, w) {
					t.Errorf("no %q in the terminal output:\n%q", w, got)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("%q in the terminal output:\n%q", w, got)
				}
			}
			if !strings.Contains(got, "\x1b[1A") {
				t.Errorf("no cursor movement: the bar was never redrawn in place:\n%q", got)
			}
			if logs.String() != "" {
				t.Errorf("a terminal got progress log lines too: %q", logs)
			}
			// After Close, log lines go straight through.
			fmt.Fprintln(p.Writer(), "after")
			if !strings.HasSuffix(out.String(), "after\n") {
				t.Errorf("a write after Close did not reach the output: %q", out)
			}
		})
	}
}

func TestProgressLogLines(t *testing.T) {
	out := &lockedBuffer{}
	p := newProgress(out, false, 50, false, textLogger(out), 10*time.Millisecond)
	feed(p, 20, 3, 5, 2)
	waitFor(t, out, "done=20")
	p.Close()
	got := out.String()
	if strings.Contains(got, "\r") || strings.Contains(got, "\x1b") {
		t.Errorf("carriage return or escape sequence in non-terminal output:\n%q", got)
	}
	for _, w := range []string{"msg=progress", "total=50", "failed=4", "throttled=2", "rate_limit=25", "eta="} {
		if !strings.Contains(got, w) {
			t.Errorf("no %q in the log lines:\n%s", w, got)
		}
	}
	for line := range strings.Lines(got) {
		if !strings.HasPrefix(line, "time=") {
			t.Errorf("not a structured log line: %q", line)
		}
	}
}

func TestProgressQuiet(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		t.Run(fmt.Sprint("terminal=", terminal), func(t *testing.T) {
			out := &lockedBuffer{}
			p := newProgress(out, terminal, 10, true, textLogger(out), time.Millisecond)
			feed(p, 10, 2, 3, 1)
			time.Sleep(20 * time.Millisecond) // a ticker, had one started, would have fired
			p.Close()
			p.Close() // twice is harmless
			if out.String() != "" {
				t.Errorf("--quiet wrote %q", out)
			}
		})
	}
}

// TestProgressRate drives the ticker by hand: the rate is over the whole run
// for the first rateWindow, then over the last rateWindow.
func TestProgressRate(t *testing.T) {
	out := &lockedBuffer{}
	p := newProgress(out, false, 1000, false, textLogger(out), 0) // 0: no ticker of its own
	defer p.Close()
	t0 := p.start
	steps := []struct {
		at   time.Duration
		done int64
		rate float64
		eta  string
	}{
		{at: 2 * time.Second, done: 100, rate: 50, eta: "18s"},
		{at: 4 * time.Second, done: 200, rate: 50, eta: "16s"},
		{at: 10 * time.Second, done: 500, rate: 50, eta: "10s"},
		// The pacer backed off: 10 rows/s from 10 s on.
		{at: 14 * time.Second, done: 540, rate: 34, eta: "14s"}, // (540-200) rows over 4s..14s
		{at: 20 * time.Second, done: 600, rate: 10, eta: "40s"},
		{at: 30 * time.Second, done: 1000, rate: 40, eta: "-"},
	}
	for _, s := range steps {
		p.done.Store(s.done)
		p.tick(t0.Add(s.at))
		if got := p.rate(); got < s.rate-0.01 || got > s.rate+0.01 {
			t.Errorf("at %v: rate %.2f, want %.2f", s.at, got, s.rate)
		}
		if got := p.eta(s.done); got != s.eta {
			t.Errorf("at %v: ETA %s, want %s", s.at, got, s.eta)
		}
	}
	if !strings.Contains(out.String(), "rows_per_second=50 ") {
		t.Errorf("log lines: %s", out)
	}
}

func TestProgressCountsAreExact(t *testing.T) {
	p := newProgress(io.Discard, false, 0, true, textLogger(io.Discard), 0)
	const n, workers = 20000, 8
	feed(p, n, workers, 4, 999)
	p.Close()
	if got := p.done.Load(); got != n {
		t.Errorf("done %d, want %d", got, n)
	}
	if got := p.failed.Load(); got != n/4 {
		t.Errorf("failed %d, want %d", got, n/4)
	}
	if got := p.throttled.Load(); got != 999 {
		t.Errorf("throttled %d, want the highest reported, 999", got)
	}
}

// BenchmarkProgressRow is the cost the display adds to every row, with
// every worker reporting at once.
func BenchmarkProgressRow(b *testing.B) {
	p := newProgress(io.Discard, true, int64(b.N), false, textLogger(io.Discard), time.Second)
	defer p.Close()
	row := report.Row{Outcome: report.Succeeded}
	b.RunParallel(func(pb *testing.PB) {
		var i int64
		for pb.Next() {
			i++
			p.Row(row, job.Counts{Throttled: i / 100, Rate: 25})
		}
	})
}

// TestBinaryOnTerminal runs the real binary on a pseudo-terminal, and with
// stderr on a pipe, against an in-process emulator: what an operator sees.
func TestBinaryOnTerminal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := cogpassBinary(t)

	t.Run("bar redraws", func(t *testing.T) {
		t.Parallel()
		users := 150
		if testing.Short() {
			users = 60
		}
		e := newPtyPool(t, users)
		out, code := e.onTerminal(t, bin, "", "set", "--rate", "50", "--yes")
		if code != exitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if n := strings.Count(out, "\x1b[1A"); n < 3 {
			t.Errorf("the bar moved the cursor back %d times, want several redraws:\n%q", n, out)
		}
		for _, w := range []string{fmt.Sprintf("%d/%d rows", users, users), "failed 0", "rows/s",
			fmt.Sprintf("rows:       %d (%d succeeded)", users, users)} {
			if !strings.Contains(out, w) {
				t.Errorf("no %q on the terminal:\n%q", w, out)
			}
		}
		if got := e.calls("AdminSetUserPassword"); got != int64(users) {
			t.Errorf("%d AdminSetUserPassword calls, want %d", got, users)
		}
	})

	t.Run("log lines off a terminal", func(t *testing.T) {
		t.Parallel()
		e := newPtyPool(t, 100)
		cmd := e.command(bin, "set", "--rate", "100", "--yes", "--progress-interval", "200ms")
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		cmd.Stdout = stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v:\n%s", err, stderr)
		}
		got := stderr.String()
		if strings.ContainsAny(got, "\r\x1b") {
			t.Errorf("carriage return or escape sequence off a terminal:\n%q", got)
		}
		if n := strings.Count(got, "msg=progress"); n < 2 {
			t.Errorf("%d progress log lines, want a few:\n%s", n, got)
		}
		if !strings.Contains(got, "rows:       100 (100 succeeded)") {
			t.Errorf("no summary:\n%s", got)
		}
	})

	for _, answer := range []string{"n", "y"} {
		t.Run("confirmation "+answer, func(t *testing.T) {
			t.Parallel()
			e := newPtyPool(t, 10)
			out, code := e.onTerminal(t, bin, answer, "set")
			if !strings.Contains(out, "About to set temporary passwords for 10 users.") || !strings.Contains(out, "pool:      "+e.poolID+" (10 rows in the manifest)") || !strings.Contains(out, "Go on? [y/N]") {
				t.Errorf("no confirmation prompt:\n%q", out)
			}
			want, calls := exitOK, int64(10)
			if answer == "n" {
				want, calls = exitUsage, 0
				if !strings.Contains(out, "not confirmed: nothing was sent") {
					t.Errorf("no refusal message:\n%q", out)
				}
			}
			if code != want {
				t.Errorf("exit %d, want %d:\n%q", code, want, out)
			}
			if got := e.calls("AdminSetUserPassword"); got != calls {
				t.Errorf("%d AdminSetUserPassword calls, want %d", got, calls)
			}
		})
	}
}

// ptyPool is an emulator with one pool of seeded users and a manifest
// naming all of them.
type ptyPool struct {
	srv      *emulator.Server
	url      string
	poolID   string
	dir      string
	manifest string
}

func newPtyPool(t *testing.T, users int) *ptyPool {
	t.Helper()
	e := &ptyPool{srv: emulator.New(emulator.Options{Seed: 1}), poolID: "us-east-1_Term", dir: t.TempDir()}
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: e.poolID}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SeedUsers(e.poolID, users); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	var b strings.Builder
	b.WriteString("username\n")
	for i := 1; i <= users; i++ {
		fmt.Fprintf(&b, "user%06d\n", i)
	}
	e.manifest = filepath.Join(e.dir, "users.csv")
	if err := os.WriteFile(e.manifest, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *ptyPool) calls(op string) int64 { return e.srv.Stats()[op].Calls }

// command is cogpass CMD against the pool, with a clean AWS environment:
// static keys, no shared config of the machine's.
func (e *ptyPool) command(bin, cmd string, args ...string) *exec.Cmd {
	c := exec.Command(bin, append([]string{cmd, "--user-pool-id", e.poolID, "--manifest", e.manifest,
		"--endpoint-url", e.url, "--region", "us-east-1"}, args...)...)
	c.Dir = e.dir
	c.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.dir,
		"TERM=xterm",
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=" + filepath.Join(e.dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(e.dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	return c
}

// onTerminal runs cogpass with stdin, stdout and stderr on a pseudo-terminal
// of 120x40, answers the confirmation prompt when answer is set, and returns
// what the terminal showed and the exit code.
func (e *ptyPool) onTerminal(t *testing.T, bin, answer, cmd string, args ...string) (string, int) {
	t.Helper()
	c := e.command(bin, cmd, args...)
	tty, err := pty.StartWithSize(c, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("start on a pty: %v", err)
	}
	defer tty.Close()
	out := &lockedBuffer{}
	copied := make(chan struct{})
	go func() {
		io.Copy(out, tty) // ends with EIO once the process has exited
		close(copied)
	}()
	if answer != "" {
		waitFor(t, out, "[y/N]")
		if _, err := tty.Write([]byte(answer + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		t.Fatalf("cogpass did not finish; the terminal shows:\n%q", out)
	}
	<-copied
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// TestLogSink: a logger made before the bar prints above it once the sink
// is pointed at the display, and straight out again after Close.
func TestLogSink(t *testing.T) {
	out := &lockedBuffer{}
	sink := newLogSink(out)
	log := textLogger(sink)
	log.Info("before")
	p := newProgress(out, true, 10, false, log, time.Second)
	sink.use(p.Writer())
	waitFor(t, out, "0/10 rows")
	log.Warn("row failed", "line", 3)
	feed(p, 10, 1, 0, 0)
	p.Close()
	log.Info("after")
	got := out.String()
	for _, w := range []string{"msg=before", "msg=\"row failed\" line=3\n", "10/10 rows", "msg=after"} {
		if !strings.Contains(got, w) {
			t.Errorf("no %q in:\n%q", w, got)
		}
	}
	// The log line is a line of its own, never glued to a frame of the bar
	// (the bar's clearing, drawn from the first column since 7e3befe, may
	// come before it).
	for line := range strings.Lines(got) {
		if strings.Contains(line, "row failed") && !strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(line, "\r"), "\x1b[1A\x1b[J"), "time=") {
			t.Errorf("log line mixed with the bar: %q", line)
		}
	}
}
