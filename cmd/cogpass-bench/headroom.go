package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/emulator"
	"cogpass/input"
	"cogpass/job"
	"cogpass/pacing"
	"cogpass/report"
)

// Figure 3: users/s through the whole path — manifest file, preflight,
// calls, report file — with quotas off, no latency, and the emulator in
// this process, sharing its two cores with the job.
const (
	headroomN      = 100_000
	headroomQuick  = 10_000
	headroomTarget = 10_000
	// The run with look-ups is as large: with --read-rate as high as --rate
	// the look-ups are not paced below the machine's speed.
	headroomLookupN     = headroomN
	headroomLookupQuick = headroomQuick
	// headroomRate is the --rate of the run: far above what the machine
	// does, so the pacer never holds a call back.
	headroomRate = 1e6
)

func runHeadroom(ctx context.Context, c *options) (string, error) {
	n, lookupN := headroomN, headroomLookupN
	if c.quick {
		n, lookupN = headroomQuick, headroomLookupQuick
	}
	repeat := max(c.repeat, 1)
	variants := []struct {
		label  string
		cmd    job.Command
		fed    bool
		n      int
		repeat int
	}{
		{"reset --include-federated (no look-ups)", job.Reset, true, n, repeat},
		{"reset, look-ups on (default)", job.Reset, false, lookupN, repeat},
		{"set --include-federated, generated passwords", job.Set, true, n, repeat},
	}
	medians := make([]float64, len(variants))
	for i, v := range variants {
		manifest := filepath.Join(c.dir, fmt.Sprintf("headroom-%d.csv", i))
		if err := writeManifest(manifest, 1, v.n, v.n); err != nil {
			return "", err
		}
		var runs []headroomStat
		for range v.repeat {
			st, err := headroomRun(ctx, c, manifest, v.n, v.cmd, v.fed)
			if err != nil {
				return "", fmt.Errorf("%s: %w", v.label, err)
			}
			runs = append(runs, st)
		}
		med, best := medianBest(runs)
		medians[i] = med.usersPerS
		if len(runs) > 1 {
			logf(c, "=> %s: median %.0f users/s, best %.0f users/s of %d runs; median CPU %.0f µs per user (%.0f users/s if both cores were the job's alone)",
				v.label, med.usersPerS, best.usersPerS, len(runs), med.cpuPerUser(), 2e6/med.cpuPerUser())
		} else {
			logf(c, "=> %s: %.0f users/s", v.label, med.usersPerS)
		}
	}
	without, withLookups := medians[0], medians[1]
	var met string
	switch {
	case withLookups >= float64(headroomTarget):
		met = "met"
	case without >= float64(headroomTarget):
		met = "met only without look-ups"
	default:
		met = "NOT met"
	}
	of := ""
	if repeat > 1 {
		of = fmt.Sprintf(", median of %d", repeat)
	}
	return fmt.Sprintf("headroom: %.0f users/s with --include-federated (reset, %s users%s), %.0f users/s with the federated-user look-ups (--read-rate 1e6) — target >= %s users/s: %s",
		without, thousands(n), of, withLookups, thousands(headroomTarget), met), nil
}

// headroomStat is one in-process run.
type headroomStat struct {
	users     int
	usersPerS float64
	cpu       time.Duration // user+system time of this process, emulator included
}

func (h headroomStat) cpuPerUser() float64 {
	return float64(h.cpu.Microseconds()) / float64(max(h.users, 1))
}

// medianBest picks the run with the median rate and the best one.
func medianBest(runs []headroomStat) (med, best headroomStat) {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b headroomStat) int { return cmp.Compare(a.usersPerS, b.usersPerS) })
	return sorted[len(sorted)/2], sorted[len(sorted)-1]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// headroomRun runs one job in this process, as `cogpass CMD --rate 1e6
// --read-rate 1e6` does, and returns users/s from opening the manifest to
// closing the report.
func headroomRun(ctx context.Context, c *options, manifest string, n int, cmd job.Command, includeFederated bool) (headroomStat, error) {
	e, err := startEmu(emulator.Options{Seed: 3}, n, "")
	if err != nil {
		return headroomStat{}, err
	}
	defer e.close()
	// As cmd/cogpass's newClient: the SDK's retryer off, an idle pool of
	// max(--concurrency, pacing.MaxWorkers) + 16 connections.
	idle := pacing.MaxWorkers + 16
	if c.idleConns > 0 {
		idle = c.idleConns
	}
	api, err := newSDKClient(ctx, e.url, idle)
	if err != nil {
		return headroomStat{}, err
	}
	reportPath := manifest + ".report.csv"
	secretsPath := manifest + ".secrets.csv"
	// A repeat writes afresh, as a new job would.
	os.Remove(reportPath)
	os.Remove(secretsPath)
	cfg := job.Config{
		Command:          cmd,
		UserPoolID:       poolID,
		Rate:             headroomRate,
		ReadRate:         headroomRate,
		Concurrency:      c.concurrency,
		IncludeFederated: includeFederated,
		CheckFederated:   true,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}

	load := loadavg()
	start, cpu0 := time.Now(), cpuTime()
	// Preflight, as the binary does before the first write.
	rows, closeManifest, err := openManifest(manifest)
	if err != nil {
		return headroomStat{}, err
	}
	plan, err := job.Preflight(ctx, cfg, api, rows)
	closeManifest()
	if err != nil {
		return headroomStat{}, fmt.Errorf("preflight: %w", err)
	}
	cfg.Plan = plan
	rep, err := report.Create(reportPath)
	if err != nil {
		return headroomStat{}, err
	}
	var secrets job.SecretsWriter = discardSecrets{}
	var sec *report.Secrets
	if cmd == job.Set {
		if sec, err = report.CreateSecrets(secretsPath, nil); err != nil {
			rep.Close()
			return headroomStat{}, err
		}
		secrets = sec
	}
	rows, closeManifest, err = openManifest(manifest)
	if err != nil {
		rep.Close()
		return headroomStat{}, err
	}
	sum, runErr := job.Run(ctx, cfg, api, rows, rep, secrets)
	closeManifest()
	if err := rep.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if sec != nil {
		if err := sec.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if runErr != nil {
		return headroomStat{}, runErr
	}
	counts, err := outcomes(reportPath)
	if err != nil {
		return headroomStat{}, err
	}
	if counts["succeeded"] != n {
		return headroomStat{}, fmt.Errorf("%d users, report rows: %s", n, fmtCounts(counts))
	}
	stats := e.srv.Stats()
	var calls int64
	for _, st := range stats {
		calls += st.Calls
	}
	st := headroomStat{users: n, usersPerS: float64(n) / elapsed.Seconds(), cpu: cpu}
	logf(c, "%s include-federated=%v: %d users in %s = %.0f users/s; %d calls, %d workers, %d idle conns, %d TCP connections opened, call latency p50 %.1f ms p99 %.1f ms, CPU %.0f µs/user, load average before %s",
		cmd, includeFederated, n, elapsed.Round(time.Millisecond), st.usersPerS, calls,
		sum.Workers, idle, e.conns.Load(), sum.LatencyMS["p50"], sum.LatencyMS["p99"], st.cpuPerUser(), load)
	return st, nil
}

func openManifest(path string) (*input.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	rows, err := input.NewReader(bufio.NewReaderSize(f, 64<<10), input.FormatCSV, input.Options{})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read manifest: %w", err)
	}
	return rows, func() { f.Close() }, nil
}

type discardSecrets struct{}

func (discardSecrets) Write(int, string, string) error { return nil }

// newSDKClient builds the Cognito client as cmd/cogpass's newClient does,
// with static dummy credentials and no shared config files read.
func newSDKClient(ctx context.Context, url string, idle int) (*cip.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = idle
			t.MaxIdleConnsPerHost = idle
		}).WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).WithTimeout(60*time.Second)),
		config.WithRegion("us-east-1"),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDCOGPASSBENCH", SecretAccessKey: "cogpass-bench", Source: "cogpass-bench"}, nil
		})),
	)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(url) }), nil
}
