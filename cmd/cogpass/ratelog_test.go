package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRateChangeLimiter: on a terminal at most one "rate change" line a
// minute stays at info level; the others go to debug; other lines pass.
func TestRateChangeLimiter(t *testing.T) {
	for _, debug := range []bool{false, true} {
		var buf bytes.Buffer
		level := slog.LevelInfo
		if debug {
			level = slog.LevelDebug
		}
		h := limitRateChanges(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}), time.Minute).(*rateChangeLimiter)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h.now = func() time.Time { return now }
		log := slog.New(h).With("job", "x")
		for i := range 30 { // one every 5 s for 150 s
			log.Info("rate change", "to", i)
			log.Warn("row failed", "line", i)
			now = now.Add(5 * time.Second)
		}
		out := buf.String()
		info := strings.Count(out, `level=INFO msg="rate change"`)
		dbg := strings.Count(out, `level=DEBUG msg="rate change"`)
		if info != 3 { // at 0 s, 60 s and 120 s
			t.Errorf("debug=%v: %d rate change lines at info, want 3:\n%s", debug, info, out)
		}
		if want := map[bool]int{false: 0, true: 27}[debug]; dbg != want {
			t.Errorf("debug=%v: %d at debug, want %d", debug, dbg, want)
		}
		if n := strings.Count(out, `msg="row failed"`); n != 30 {
			t.Errorf("%d other lines, want 30", n)
		}
	}
}
