// Command cogpass-bench measures the performance figures of issue 5 and
// prints one line per figure on stdout (details go to stderr):
//
//  1. saturation: a reset job at --rate 50 against an emulator quota of 50/s
//  2. unknown quota: the same job at --rate 500
//  3. headroom: users/s through the whole path with quotas off, in process
//  4. memory: peak RSS of the binary over a 1,000,000-row offline dry run
//     and a 200,000-row real run
//  5. the AWS CLI in a shell loop versus cogpass over the same users
//  6. shared quota: a reset job beside a production app on the same
//     UserAccountRecovery quota, cogpass versus a plain SDK thread pool
//
// The emulator always runs inside this process, on a loopback listener. The
// figures that describe the binary (1, 2, 4, 5) run it as a subprocess
// (-bin); figure 3 runs the job package in this process, as the issue asks.
//
// make bench runs it; BENCHMARKS.md records a run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// config is the harness's flags.
type options struct {
	bin        string
	quick      bool
	only       int
	cpuprofile string
	keep       bool
	// Figure 3 experiments: the job's worker count and the SDK client's idle
	// connection pool (0: as cmd/cogpass sets them).
	concurrency int
	idleConns   int
	repeat      int
	dir         string // scratch directory for manifests and reports
	stderr      io.Writer
	stdout      io.Writer
}

// figure is one benchmark; it returns the line to print.
type figure struct {
	n    int
	name string
	run  func(ctx context.Context, c *options) (string, error)
}

var figures = []figure{
	{1, "saturation", runSaturation},
	{2, "unknown quota", runUnknownQuota},
	{3, "headroom", runHeadroom},
	{4, "memory", runMemory},
	{5, "aws cli", runAWSCLI},
	{6, "shared quota", runShared},
}

func main() {
	var c options
	flag.StringVar(&c.bin, "bin", "bin/cogpass", "the cogpass binary to measure (figures 1, 2, 4, 5)")
	flag.BoolVar(&c.quick, "quick", false, "smaller sizes, for a smoke run (the figures are then not the issue's)")
	flag.IntVar(&c.only, "only", 0, "run only figure N (1-6)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of figure 3 (the in-process headroom run, emulator included) to this file")
	flag.IntVar(&c.concurrency, "concurrency", 0, "figure 3: the job's workers (0: automatic, as cogpass chooses)")
	flag.IntVar(&c.idleConns, "idle-conns", 0, "figure 3: the SDK client's idle connection pool (0: as cmd/cogpass sizes it without --concurrency)")
	flag.IntVar(&c.repeat, "repeat", 3, "figure 3: runs of each CPU-bound variant, the figure being their median; figure 4: runs of the real job, judged on the highest peak RSS")
	flag.BoolVar(&c.keep, "keep", false, "keep the scratch directory (manifests, reports) and print where it is")
	flag.Parse()
	c.stdout, c.stderr = os.Stdout, os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, &c))
}

func run(ctx context.Context, c *options) int {
	if c.only < 0 || c.only > len(figures) {
		fmt.Fprintf(c.stderr, "cogpass-bench: -only %d: want 1..%d\n", c.only, len(figures))
		return 2
	}
	needBin := c.only != 3 // figure 3 runs in process
	if needBin {
		abs, err := filepath.Abs(c.bin)
		if err == nil {
			c.bin = abs
		}
		if _, err := os.Stat(c.bin); err != nil {
			fmt.Fprintf(c.stderr, "cogpass-bench: -bin %s: %v (run make build first)\n", c.bin, err)
			return 2
		}
	}
	dir, err := os.MkdirTemp("", "cogpass-bench-")
	if err != nil {
		fmt.Fprintf(c.stderr, "cogpass-bench: %v\n", err)
		return 2
	}
	c.dir = dir
	if c.keep {
		fmt.Fprintf(c.stderr, "scratch directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	mode := "full"
	if c.quick {
		mode = "quick (smaller sizes: not the issue's figures)"
	}
	fmt.Fprintf(c.stderr, "cogpass-bench: %s, %s, GOMAXPROCS %d, %s run, %s\n",
		runtime.Version(), cpuModel(), runtime.GOMAXPROCS(0), mode, time.Now().UTC().Format(time.RFC3339))

	failed := 0
	for _, f := range figures {
		if c.only != 0 && f.n != c.only {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		fmt.Fprintf(c.stderr, "--- figure %d (%s)\n", f.n, f.name)
		var line string
		var err error
		if f.n == 3 && c.cpuprofile != "" {
			line, err = profiled(c.cpuprofile, func() (string, error) { return f.run(ctx, c) })
		} else {
			line, err = f.run(ctx, c)
		}
		if err != nil {
			failed++
			fmt.Fprintf(c.stdout, "%s: error: %v\n", f.name, err)
			continue
		}
		fmt.Fprintln(c.stdout, line)
		fmt.Fprintf(c.stderr, "    (figure %d took %s)\n", f.n, time.Since(start).Round(100*time.Millisecond))
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func profiled(path string, fn func() (string, error)) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("cpuprofile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return "", fmt.Errorf("cpuprofile: %w", err)
	}
	line, err := fn()
	pprof.StopCPUProfile()
	return line, err
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return fmt.Sprintf("%d x %s", runtime.NumCPU(), strings.TrimSpace(v))
		}
	}
	return "unknown CPU"
}

// verdict is "met" or "NOT met".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func logf(c *options, format string, a ...any) {
	fmt.Fprintf(c.stderr, "    "+format+"\n", a...)
}
