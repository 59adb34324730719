package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/emulator"
	"cogpass/input"
	"cogpass/job"
	"cogpass/report"
)

// Figure 3: users/s through the whole path — manifest file, preflight,
// calls, report file — with quotas off, no latency, and the emulator in
// this process, sharing its two cores with the job.
const (
	headroomN      = 100_000
	headroomQuick  = 10_000
	headroomTarget = 10_000
	// The run with look-ups is smaller: cogpass paces AdminGetUser at the
	// UserRead share (96/s) whatever --rate says, so it takes n/96 s.
	headroomLookupN     = 2_000
	headroomLookupQuick = 500
	// headroomRate is the --rate of the run: far above what the machine
	// does, so the pacer never holds a call back.
	headroomRate = 1e6
)

func runHeadroom(ctx context.Context, c *options) (string, error) {
	n, lookupN := headroomN, headroomLookupN
	if c.quick {
		n, lookupN = headroomQuick, headroomLookupQuick
	}
	variants := []struct {
		label string
		cmd   job.Command
		fed   bool
		n     int
	}{
		{"reset --include-federated (no look-ups)", job.Reset, true, n},
		{"reset, look-ups on (default)", job.Reset, false, lookupN},
		{"set --include-federated, generated passwords", job.Set, true, n},
	}
	rates := make([]float64, len(variants))
	for i, v := range variants {
		manifest := filepath.Join(c.dir, fmt.Sprintf("headroom-%d.csv", i))
		if err := writeManifest(manifest, 1, v.n, v.n); err != nil {
			return "", err
		}
		r, err := headroomRun(ctx, c, manifest, v.n, v.cmd, v.fed)
		if err != nil {
			return "", fmt.Errorf("%s: %w", v.label, err)
		}
		rates[i] = r
		logf(c, "=> %s: %.0f users/s", v.label, r)
	}
	without, withLookups := rates[0], rates[1]
	var met string
	switch {
	case withLookups >= float64(headroomTarget):
		met = "met"
	case without >= float64(headroomTarget):
		met = "met only without look-ups"
	default:
		met = "NOT met"
	}
	return fmt.Sprintf("headroom: %.0f users/s with --include-federated (reset, %s users), %.0f users/s with look-ups (default; %s users) — target >= %s users/s: %s",
		without, thousands(n), withLookups, thousands(lookupN), thousands(headroomTarget), met), nil
}

// headroomRun runs one job in this process, as `cogpass CMD --rate 1e6`
// does, and returns users/s from opening the manifest to closing the
// report.
func headroomRun(ctx context.Context, c *options, manifest string, n int, cmd job.Command, includeFederated bool) (float64, error) {
	e, err := startEmu(emulator.Options{Seed: 3}, n, "")
	if err != nil {
		return 0, err
	}
	defer e.close()
	// As cmd/cogpass's newClient: the SDK's retryer off, an idle pool of
	// max(--concurrency, 64) + 16 connections.
	idle := 64 + 16
	if c.idleConns > 0 {
		idle = c.idleConns
	}
	api, err := newSDKClient(ctx, e.url, idle)
	if err != nil {
		return 0, err
	}
	reportPath := manifest + ".report.csv"
	secretsPath := manifest + ".secrets.csv"
	cfg := job.Config{
		Command:          cmd,
		UserPoolID:       poolID,
		Rate:             headroomRate,
		Concurrency:      c.concurrency,
		IncludeFederated: includeFederated,
		CheckFederated:   true,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}

	start := time.Now()
	// Preflight, as the binary does before the first write.
	rows, closeManifest, err := openManifest(manifest)
	if err != nil {
		return 0, err
	}
	plan, err := job.Preflight(ctx, cfg, api, rows)
	closeManifest()
	if err != nil {
		return 0, fmt.Errorf("preflight: %w", err)
	}
	cfg.Plan = plan
	rep, err := report.Create(reportPath)
	if err != nil {
		return 0, err
	}
	var secrets job.SecretsWriter = discardSecrets{}
	var sec *report.Secrets
	if cmd == job.Set {
		if sec, err = report.CreateSecrets(secretsPath, nil); err != nil {
			rep.Close()
			return 0, err
		}
		secrets = sec
	}
	rows, closeManifest, err = openManifest(manifest)
	if err != nil {
		rep.Close()
		return 0, err
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
	elapsed := time.Since(start)
	if runErr != nil {
		return 0, runErr
	}
	counts, err := outcomes(reportPath)
	if err != nil {
		return 0, err
	}
	if counts["succeeded"] != n {
		return 0, fmt.Errorf("%d users, report rows: %s", n, fmtCounts(counts))
	}
	stats := e.srv.Stats()
	var calls int64
	for _, st := range stats {
		calls += st.Calls
	}
	logf(c, "%s include-federated=%v: %d users in %s, %d calls (%.0f calls/s), %d workers, %d idle conns, %d TCP connections opened, latency p50 %.1f ms p99 %.1f ms",
		cmd, includeFederated, n, elapsed.Round(time.Millisecond), calls, float64(calls)/elapsed.Seconds(),
		sum.Workers, idle, e.conns.Load(), sum.LatencyMS["p50"], sum.LatencyMS["p99"])
	return float64(n) / elapsed.Seconds(), nil
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
