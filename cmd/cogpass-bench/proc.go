package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// writeManifest writes a CSV manifest naming users from..to (1-based,
// inclusive) of a pool seeded with n users.
func writeManifest(path string, from, to, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create manifest: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("username\n")
	for i := from; i <= to; i++ {
		w.WriteString(userName(i, n))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write manifest: %w", err)
	}
	return f.Close()
}

// benchEnv is the environment of every subprocess: dummy credentials (the
// emulator does not check signatures) and no shared config files, so that
// nothing of the machine's AWS set-up is read or used.
func benchEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=AKIDCOGPASSBENCH",
		"AWS_SECRET_ACCESS_KEY=cogpass-bench",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_PROXY=127.0.0.1,localhost",
		"no_proxy=127.0.0.1,localhost",
	)
}

// procResult is one finished subprocess.
type procResult struct {
	wall    time.Duration
	exit    int
	peakRSS int64 // bytes: the process's VmHWM, last read before it exited
	stderr  string
}

// hwmInterval is how often a subprocess's VmHWM is read. VmHWM is the high
// water mark of the process's resident set, so only growth in the last
// interval before exit can be missed.
const hwmInterval = 5 * time.Millisecond

// runProc runs name with args to its end. Stdin is empty (not a terminal:
// cogpass never prompts), stdout is dropped, the tail of stderr is kept.
//
// Peak RSS is read from /proc/PID/status (VmHWM) while the process runs,
// not taken from wait4's ru_maxrss: Go starts children with
// clone(CLONE_VM|CLONE_VFORK), and Linux carries the high water mark of the
// memory the child shared with its parent (this harness, emulator and all)
// across exec into the child's ru_maxrss, which then reports the harness's
// size rather than cogpass's.
func runProc(ctx context.Context, name string, args ...string) (procResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = benchEnv()
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stdout = io.Discard
	cmd.Stderr = tail
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return procResult{}, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	statusPath := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak atomic.Int64
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		t := time.NewTicker(hwmInterval)
		defer t.Stop()
		for {
			if v := readHWM(statusPath); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(stop)
	<-polled
	res := procResult{wall: time.Since(start), stderr: tail.String(), peakRSS: peak.Load()}
	if cmd.ProcessState == nil {
		return res, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	res.exit = cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return res, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	return res, nil
}

// readHWM is VmHWM from a /proc/PID/status file, in bytes; 0 when it
// cannot be read (the process has exited).
func readHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

// outcomes counts a CSV report's rows by outcome.
func outcomes(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open report: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	col := -1
	for i, h := range header {
		if h == "outcome" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("report %s has no outcome column", path)
	}
	counts := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return counts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read report %s: %w", path, err)
		}
		counts[rec[col]]++
	}
}

func fmtCounts(m map[string]int) string {
	var b bytes.Buffer
	for _, k := range []string{"succeeded", "planned", "skipped", "failed"} {
		if m[k] > 0 {
			fmt.Fprintf(&b, "%s%d %s", sep(b.Len()), m[k], k)
		}
	}
	for k, v := range m {
		switch k {
		case "succeeded", "planned", "skipped", "failed":
		default:
			fmt.Fprintf(&b, "%s%d %s", sep(b.Len()), v, k)
		}
	}
	if b.Len() == 0 {
		return "no rows"
	}
	return b.String()
}

func sep(n int) string {
	if n == 0 {
		return ""
	}
	return ", "
}

// lastLines is the last n lines of s, indented, for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n      " + strings.Join(lines, "\n      ")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
