package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"cogpass/cognito/quota"
	"cogpass/emulator"
)

// Figures 1 and 2: a reset job against an emulator whose
// UserAccountRecovery quota is 50/s, with Cognito-like latency.
const (
	quotaRPS      = 50.0
	quotaLatency  = 60 * time.Millisecond
	quotaJitter   = 20 * time.Millisecond
	writeOp       = "AdminResetUserPassword"
	saturationN   = 3000
	saturationQck = 500
	// steadyTrim is cut from both ends of the write phase for the
	// steady-state rate shown next to the whole-phase one.
	steadyTrim = 5 * time.Second
)

func runSaturation(ctx context.Context, c *options) (string, error) {
	r, err := quotaRun(ctx, c, "saturation", 50)
	if err != nil {
		return "", err
	}
	ok := r.ratio >= 0.97 && r.share <= 0.01
	return fmt.Sprintf("saturation: %.3f of quota (%.1f/%.0f calls/s; steady state %s), throttled %.1f%% — target >= 0.97, <= 1%%: %s",
		r.ratio, r.p.rate(), quotaRPS, r.p.steadyRatio(quotaRPS), r.share*100, verdict(ok)), nil
}

func runUnknownQuota(ctx context.Context, c *options) (string, error) {
	r, err := quotaRun(ctx, c, "unknown", 500)
	if err != nil {
		return "", err
	}
	allOK := r.counts["succeeded"] == r.users && r.exit == 0
	ok := r.ratio >= 0.90 && r.share <= 0.05 && allOK
	rows := fmt.Sprintf("all %d rows succeeded", r.users)
	if !allOK {
		rows = fmt.Sprintf("rows: %s, exit %d", fmtCounts(r.counts), r.exit)
	}
	return fmt.Sprintf("unknown quota: %.3f of quota (%.1f/%.0f calls/s at --rate 500; steady state %s), throttled %.1f%%, %s — target >= 0.90, <= 5%%, every row succeeded: %s",
		r.ratio, r.p.rate(), quotaRPS, r.p.steadyRatio(quotaRPS), r.share*100, rows, verdict(ok)), nil
}

type quotaResult struct {
	users  int
	p      phase
	ratio  float64
	share  float64
	counts map[string]int
	exit   int
}

// quotaRun runs `cogpass reset --rate RATE` over every seeded user and
// measures the write operation at the emulator: accepted
// AdminResetUserPassword calls per second from the first such request to
// the last answer, and throttled ones as a share of all of them.
func quotaRun(ctx context.Context, c *options, name string, rate float64) (quotaResult, error) {
	n := saturationN
	if c.quick {
		n = saturationQck
	}
	rates, err := quota.ParseSpec("UserAccountRecovery=" + strconv.FormatFloat(quotaRPS, 'f', -1, 64))
	if err != nil {
		return quotaResult{}, err
	}
	e, err := startEmu(emulator.Options{Quota: rates, Latency: quotaLatency, LatencyJitter: quotaJitter, Seed: 5}, n, writeOp)
	if err != nil {
		return quotaResult{}, err
	}
	defer e.close()
	manifest := filepath.Join(c.dir, name+".csv")
	if err := writeManifest(manifest, 1, n, n); err != nil {
		return quotaResult{}, err
	}
	reportPath := manifest + ".report.csv"
	logf(c, "cogpass reset --manifest %s (%d users) --rate %g --yes --quiet; emulator quota %s, latency %s ± %s",
		filepath.Base(manifest), n, rate, "UserAccountRecovery=50 (other categories at Cognito's defaults)", quotaLatency, quotaJitter)
	res, err := runProc(ctx, c.bin, "reset", "--user-pool-id", poolID, "--manifest", manifest,
		"--endpoint-url", e.url, "--region", "us-east-1", "--rate", strconv.FormatFloat(rate, 'f', -1, 64),
		"--report", reportPath, "--yes", "--quiet")
	if err != nil {
		return quotaResult{}, err
	}
	counts, err := outcomes(reportPath)
	if err != nil {
		return quotaResult{}, fmt.Errorf("%w (exit %d)%s", err, res.exit, lastLines(res.stderr, 10))
	}
	p := e.rec.phase(steadyTrim)
	r := quotaResult{users: n, p: p, ratio: p.rate() / quotaRPS, share: p.throttledShare(), counts: counts, exit: res.exit}
	stats := e.srv.Stats()
	var allCalls, allThrottled int64
	for _, st := range stats {
		allCalls += st.Calls
		allThrottled += st.Throttled
	}
	logf(c, "exit %d, %s, wall %s", res.exit, fmtCounts(counts), res.wall.Round(time.Millisecond))
	logf(c, "%s at the emulator: %d calls, %d throttled, %d accepted over a write phase of %.2f s (first request to last answer)",
		writeOp, p.calls, p.throttled, p.accepted, p.span.Seconds())
	if p.steady > 0 {
		logf(c, "steady state (first and last %s left out): %.1f calls/s = %.3f of quota", steadyTrim, p.steady, p.steady/quotaRPS)
	}
	for _, op := range []string{"AdminGetUser", "DescribeUserPool"} {
		if st, ok := stats[op]; ok {
			logf(c, "%s (look-ups, UserRead quota): %d calls, %d throttled", op, st.Calls, st.Throttled)
		}
	}
	logf(c, "all operations: %d calls, %d throttled (%.2f%%)", allCalls, allThrottled, 100*float64(allThrottled)/float64(max(allCalls, 1)))
	if res.exit != 0 {
		logf(c, "cogpass stderr:%s", lastLines(res.stderr, 8))
	}
	return r, nil
}
