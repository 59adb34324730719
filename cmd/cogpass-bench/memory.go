package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"cogpass/emulator"
)

// Figure 4: peak RSS of the cogpass process (VmHWM, see runProc) over a big
// offline dry run and a big real run. The emulator's memory is this
// process's, not the binary's.
//
// The real run passes --include-federated: the per-row look-ups keep no
// state (memory is the same with them), but they are paced at the UserRead
// share of 96/s whatever --rate says, which would stretch 200,000 rows to
// 35 minutes.
const (
	memDryN       = 1_000_000
	memDryQuick   = 100_000
	memRealN      = 200_000
	memRealQuick  = 20_000
	memTargetMiB  = 64.0
	memRealRate   = "1000000"
	memPasswordLn = "16"
)

func runMemory(ctx context.Context, c *options) (string, error) {
	dryN, realN := memDryN, memRealN
	if c.quick {
		dryN, realN = memDryQuick, memRealQuick
	}

	// An offline dry run: no emulator, no call at all.
	dryManifest := filepath.Join(c.dir, "memory-dry.csv")
	if err := writeManifest(dryManifest, 1, dryN, dryN); err != nil {
		return "", err
	}
	dryReport := dryManifest + ".dryrun.report.csv"
	logf(c, "cogpass set --dry-run --offline --manifest %s (%d rows)", filepath.Base(dryManifest), dryN)
	dry, err := runProc(ctx, c.bin, "set", "--user-pool-id", poolID, "--manifest", dryManifest,
		"--dry-run", "--offline", "--report", dryReport, "--yes", "--quiet")
	if err != nil {
		return "", err
	}
	dryCounts, err := outcomes(dryReport)
	if err != nil {
		return "", fmt.Errorf("dry run: %w (exit %d)%s", err, dry.exit, lastLines(dry.stderr, 10))
	}
	logf(c, "exit %d, %s, wall %s (%.0f rows/s), peak RSS %.1f MiB", dry.exit, fmtCounts(dryCounts),
		dry.wall.Round(time.Millisecond), float64(dryN)/dry.wall.Seconds(), mib(dry.peakRSS))
	if dry.exit != 0 || dryCounts["planned"] != dryN {
		return "", fmt.Errorf("dry run: exit %d, %s%s", dry.exit, fmtCounts(dryCounts), lastLines(dry.stderr, 10))
	}

	// A real set over realN seeded users: quotas off, no latency.
	e, err := startEmu(emulator.Options{Seed: 4}, realN, "")
	if err != nil {
		return "", err
	}
	defer e.close()
	realManifest := filepath.Join(c.dir, "memory-real.csv")
	if err := writeManifest(realManifest, 1, realN, realN); err != nil {
		return "", err
	}
	realReport := realManifest + ".report.csv"
	logf(c, "cogpass set --manifest %s (%d rows) --rate %s --include-federated --yes --quiet, quotas off, latency 0", filepath.Base(realManifest), realN, memRealRate)
	live, err := runProc(ctx, c.bin, "set", "--user-pool-id", poolID, "--manifest", realManifest,
		"--endpoint-url", e.url, "--region", "us-east-1", "--rate", memRealRate,
		"--password-length", memPasswordLn, "--include-federated", "--report", realReport, "--yes", "--quiet")
	if err != nil {
		return "", err
	}
	realCounts, err := outcomes(realReport)
	if err != nil {
		return "", fmt.Errorf("live run: %w (exit %d)%s", err, live.exit, lastLines(live.stderr, 10))
	}
	var calls int64
	for _, st := range e.srv.Stats() {
		calls += st.Calls
	}
	logf(c, "exit %d, %s, %d calls, wall %s (%.0f users/s, binary as a subprocess), peak RSS %.1f MiB",
		live.exit, fmtCounts(realCounts), calls, live.wall.Round(time.Millisecond), float64(realN)/live.wall.Seconds(), mib(live.peakRSS))
	if live.exit != 0 || realCounts["succeeded"] != realN {
		return "", fmt.Errorf("live run: exit %d, %s%s", live.exit, fmtCounts(realCounts), lastLines(live.stderr, 10))
	}

	ok := mib(dry.peakRSS) <= memTargetMiB && mib(live.peakRSS) <= memTargetMiB
	return fmt.Sprintf("memory: peak RSS %.1f MiB for a %s-row --dry-run --offline, %.1f MiB for a real %s-row set — target <= %.0f MiB each: %s",
		mib(dry.peakRSS), thousands(dryN), mib(live.peakRSS), thousands(realN), memTargetMiB, verdict(ok)), nil
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	out := ""
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out += ","
		}
		out += string(r)
	}
	return out
}
