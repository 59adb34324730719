package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

	// A real set over realN seeded users: quotas off, no latency. It is
	// run -repeat times on a fresh emulator each (its peak RSS moves by a
	// few MiB from run to run with the garbage collector's timing), and
	// judged on the highest.
	realManifest := filepath.Join(c.dir, "memory-real.csv")
	if err := writeManifest(realManifest, 1, realN, realN); err != nil {
		return "", err
	}
	var peaks []float64
	for i := range max(c.repeat, 1) {
		peak, err := memoryRealRun(ctx, c, realManifest, realN, i)
		if err != nil {
			return "", err
		}
		peaks = append(peaks, peak)
	}
	slices.Sort(peaks)
	worst := peaks[len(peaks)-1]
	runs := fmt.Sprintf("%.1f MiB", worst)
	if len(peaks) > 1 {
		runs = fmt.Sprintf("%.1f MiB (highest of %d runs; lowest %.1f)", worst, len(peaks), peaks[0])
	}
	ok := mib(dry.peakRSS) <= memTargetMiB && worst <= memTargetMiB
	return fmt.Sprintf("memory: peak RSS %.1f MiB for a %s-row --dry-run --offline, %s for a real %s-row set — target <= %.0f MiB each: %s",
		mib(dry.peakRSS), thousands(dryN), runs, thousands(realN), memTargetMiB, verdict(ok)), nil
}

// memoryRealRun runs one real set job and returns its peak RSS in MiB.
func memoryRealRun(ctx context.Context, c *options, manifest string, n, seq int) (float64, error) {
	e, err := startEmu(emulator.Options{Seed: 4}, n, "")
	if err != nil {
		return 0, err
	}
	defer e.close()
	reportPath := fmt.Sprintf("%s.%d.report.csv", manifest, seq)
	secretsPath := fmt.Sprintf("%s.%d.secrets.csv", manifest, seq)
	logf(c, "cogpass set --manifest %s (%d rows) --rate %s --include-federated --yes --quiet, quotas off, latency 0", filepath.Base(manifest), n, memRealRate)
	live, err := runProc(ctx, c.bin, "set", "--user-pool-id", poolID, "--manifest", manifest,
		"--endpoint-url", e.url, "--region", "us-east-1", "--rate", memRealRate,
		"--password-length", memPasswordLn, "--include-federated", "--report", reportPath, "--secrets", secretsPath, "--yes", "--quiet")
	if err != nil {
		return 0, err
	}
	counts, err := outcomes(reportPath)
	if err != nil {
		return 0, fmt.Errorf("real run: %w (exit %d)%s", err, live.exit, lastLines(live.stderr, 10))
	}
	var calls int64
	for _, st := range e.srv.Stats() {
		calls += st.Calls
	}
	logf(c, "exit %d, %s, %d calls, wall %s (%.0f users/s, binary as a subprocess), peak RSS %.1f MiB",
		live.exit, fmtCounts(counts), calls, live.wall.Round(time.Millisecond), float64(n)/live.wall.Seconds(), mib(live.peakRSS))
	if live.exit != 0 || counts["succeeded"] != n {
		return 0, fmt.Errorf("real run: exit %d, %s%s", live.exit, fmtCounts(counts), lastLines(live.stderr, 10))
	}
	os.Remove(secretsPath)
	return mib(live.peakRSS), nil
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
