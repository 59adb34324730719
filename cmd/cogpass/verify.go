package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"sort"
	"strconv"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/job"
	"cogpass/pacing"
	"cogpass/report"
)

const verifyExample = `After an incident reset, check that every user the report says was reset
is RESET_REQUIRED now; the pool, region and endpoint come from the job's record
(compromised.csv.report.csv.job.json). The verification report goes to
compromised.csv.report.csv.verify.csv:

  cogpass verify --report compromised.csv.report.csv
`

// verifyColumns is the verification report's header.
var verifyColumns = []string{"line", "username", "action", "expected_status", "user_status", "verdict", "signed_out", "error_code", "message"}

type verifyFlags struct {
	aws         awsFlags
	userPoolID  string
	reportPath  string
	output      string
	readRate    float64
	concurrency int
	backoff     cognito.Backoff
}

// flagSet is verify's FlagSet, bound to f.
func (f *verifyFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("verify", verifyExample, stderr)
	f.aws.register(fs)
	fs.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool (default: the one in the job's record, REPORT.job.json)")
	fs.StringVar(&f.reportPath, "report", "", "the job's report, CSV or .jsonl (required)")
	fs.StringVar(&f.output, "output", "", "verification report, CSV, mode 0600, never overwritten (default: REPORT.verify.csv)")
	fs.Float64Var(&f.readRate, "read-rate", quota.DefaultRate("AdminGetUser"), fmt.Sprintf("ceiling on AdminGetUser look-ups per second; the default is %.0f%% of the UserRead quota's default %.0f/s", quota.DefaultShare*100, quota.DefaultRPS[quota.UserRead]))
	fs.IntVar(&f.concurrency, "concurrency", 0, "concurrent look-ups (default: chosen from the rate)")
	registerAttempts(fs, &f.backoff, "attempts per look-up before a throttled or faulted one is reported as an error")
	return fs
}

// runVerify is `cogpass verify`: it looks up every user a job's report says
// succeeded and checks that Cognito shows the status the action leaves.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f verifyFlags
	fs := f.flagSet(stderr)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case f.reportPath == "":
		return usageError("--report is required: the report of the job to verify")
	case f.readRate <= 0:
		return usageError("--read-rate must be above 0")
	case f.concurrency < 0:
		return usageError("--concurrency must be 0 (automatic) or more")
	case f.backoff.MaxAttempts < 1:
		return usageError("--max-attempts must be 1 or more")
	}
	rec, err := report.ReadSidecar(f.reportPath)
	if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return usageError("%v", err)
	}
	pool := f.userPoolID
	if pool == "" {
		pool = rec.UserPoolID
	}
	if pool == "" {
		return usageError("no user pool: the job's record %s names none (a manifest with a user_pool_id column?); give --user-pool-id", report.SidecarPath(f.reportPath))
	}
	flagName := "--user-pool-id"
	if f.userPoolID == "" {
		flagName = "the job record's user pool"
	}
	if err := f.aws.usePoolRegion(flagName, pool); err != nil {
		return err
	}
	// The connection of the job, unless the flags say otherwise.
	if f.aws.region == "" {
		f.aws.region = rec.Region
	}
	if f.aws.endpointURL == "" {
		f.aws.endpointURL = rec.EndpointURL
	}

	// The last row of each line is its outcome (a resumed job appends).
	last := map[int]report.Row{}
	if err := report.ReadRows(f.reportPath, func(r report.Row) error {
		last[r.Line] = r
		return nil
	}); err != nil {
		return usageError("%v", err)
	}
	var rows []job.VerifyRow
	for _, r := range last {
		if r.Outcome == report.Succeeded {
			rows = append(rows, job.VerifyRow{Line: r.Line, Username: r.Username, Action: r.Action, SignedOut: r.SignedOut})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Line < rows[j].Line })

	out := f.output
	if out == "" {
		out = f.reportPath + ".verify.csv"
	}
	if err := job.DistinctOutputs(job.Output{Flag: "--report", Path: f.reportPath}, job.Output{Flag: "--output", Path: out}, job.Output{Flag: "the job record", Path: report.SidecarPath(f.reportPath)}); err != nil {
		return err
	}
	client, err := newClient(ctx, f.aws, max(f.concurrency, pacing.MinWorkers))
	if err != nil {
		return err
	}
	if err := requireCredentials(ctx, client, f.aws); err != nil {
		return err
	}
	file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, iofs.ErrExist) {
			return usageError("%s exists: move it away, or pass --output NEWFILE", out)
		}
		return usageError("create verification report: %v", err)
	}
	w := csv.NewWriter(file)
	w.Write(verifyColumns)
	counts := map[string]int{}
	cfg := job.Config{
		Command:     job.Command(rec.Command),
		ReadRate:    f.readRate,
		Concurrency: f.concurrency,
		Backoff:     f.backoff,
	}
	runErr := job.Verify(ctx, cfg, client, pool, rows, func(v job.VerifyResult) error {
		counts[v.Verdict]++
		w.Write([]string{strconv.Itoa(v.Line), report.Neutralise(v.Username), v.Action, v.Expected, report.Neutralise(v.UserStatus),
			v.Verdict, v.SignedOut, report.Neutralise(v.ErrorCode), report.Neutralise(v.Message)})
		w.Flush()
		return w.Error()
	})
	w.Flush()
	if err := w.Error(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write verification report: %w", err)
	}
	if err := file.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close verification report: %w", err)
	}

	checked := counts[job.VerdictMatch] + counts[job.VerdictMismatch] + counts[job.VerdictError] + counts[job.VerdictUnchecked]
	fmt.Fprintf(stderr, "verified:   %d of %d succeeded rows in pool %s: %d match, %d mismatch, %d could not be looked up, %d unchecked\n",
		checked, len(rows), pool, counts[job.VerdictMatch], counts[job.VerdictMismatch], counts[job.VerdictError], counts[job.VerdictUnchecked])
	if runErr != nil && checked == 0 && len(rows) > 0 {
		// Stopped before the first user (a pool that does not exist,
		// credentials refused): a header-only file would only block the
		// corrected rerun, which is refused when --output exists.
		_ = os.Remove(out)
	} else {
		fmt.Fprintf(stderr, "report:     %s\n", out)
	}
	if runErr != nil {
		var fatal *job.Fatal
		if errors.As(runErr, &fatal) {
			if ctx.Err() != nil {
				return &job.Stopped{Err: errors.New("interrupted: the verification report lists the users checked so far")}
			}
			return &job.Stopped{Err: cognito.WithHint(runErr, fatal.Code)}
		}
		return &job.UsageError{Err: runErr}
	}
	if bad := counts[job.VerdictMismatch] + counts[job.VerdictError]; bad > 0 {
		return &job.RowsFailed{Err: fmt.Errorf("%d of %d users do not show the status their action leaves: see %s", bad, len(rows), out)}
	}
	return nil
}
