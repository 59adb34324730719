package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"strconv"
	"time"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/export"
	"cogpass/input"
	"cogpass/job"
)

const exportExample = `Export every user whose temporary password has expired, leaving out the
break-glass admins, then check what giving them new temporary passwords would do:

  cogpass export --user-pool-id us-east-1_AbCdEf123 --region us-east-1 \
    --expired-temporary --exclude admins.csv --output expired.csv
  cogpass set --user-pool-id us-east-1_AbCdEf123 --region us-east-1 --manifest expired.csv --dry-run
`

type exportFlags struct {
	aws              awsFlags
	userPoolID       string
	output           string
	outputFormat     string
	filter           string
	status           string
	expiredTemporary bool
	exclude          string
	limit            int64
	rate             float64
	backoff          cognito.Backoff
	logFlags
}

// flagSet is export's FlagSet, bound to f.
func (f *exportFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("export", exportExample, stderr)
	f.register(fs)
	return fs
}

func (f *exportFlags) register(fs *flag.FlagSet) {
	f.aws.register(fs)
	fs.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool to list (required)")
	fs.StringVar(&f.output, "output", "", "manifest to write, CSV or .jsonl by extension; written as FILE.partial and renamed when complete (default: CSV on stdout)")
	fs.StringVar(&f.outputFormat, "output-format", "", "csv or jsonl (default: by --output's extension; CSV on stdout)")
	fs.StringVar(&f.filter, "filter", "", `ListUsers filter in Cognito's syntax, passed through, e.g. 'email ^= "alice"' or 'status = "Disabled"'`)
	fs.StringVar(&f.status, "status", "", "only users in this status (CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, ...): shorthand for --filter 'cognito:user_status = \"STATUS\"'; with --filter it is applied by cogpass to what the filter lists")
	fs.BoolVar(&f.expiredTemporary, "expired-temporary", false, "only FORCE_CHANGE_PASSWORD users whose temporary password has expired (last modified longer ago than the pool's TemporaryPasswordValidityDays)")
	fs.StringVar(&f.exclude, "exclude", "", "manifest (CSV or JSON Lines) of usernames to leave out, e.g. break-glass admins; matched case-insensitively against username and email")
	fs.Int64Var(&f.limit, "limit", 0, "stop after writing N users (0: no limit)")
	op, _ := quota.Lookup("ListUsers")
	fs.Float64Var(&f.rate, "rate", quota.DefaultRate("ListUsers"), fmt.Sprintf("ceiling on ListUsers calls per second (60 users each); the default is %.0f%% of the %s quota's default %.0f/s", quota.DefaultShare*100, op.Category, quota.DefaultRPS[op.Category]))
	registerRetries(fs, &f.backoff, "attempts per page before a throttled or faulted listing fails")
	f.logFlags.register(fs, "no progress lines; errors and the final line only", "how often a progress line is logged during a long listing")
}

// buildSelection turns --filter, --status and --expired-temporary into the
// export's selection (export.NewSelection), its refusals into usage errors.
func buildSelection(filter, status string, expiredTemporary bool) (export.Selection, error) {
	sel, err := export.NewSelection(filter, status, expiredTemporary)
	var unknown *export.UnknownStatusError
	var conflict *export.StatusConflictError
	switch {
	case errors.As(err, &unknown):
		return sel, unknownValue("export", "status", status, cognito.UserStatuses())
	case errors.As(err, &conflict):
		return sel, usageError("--expired-temporary selects %s users; --status %s contradicts it", cognito.StatusForceChangePassword, conflict.Status)
	}
	return sel, err
}

// loadExclusions reads --exclude; every refusal is a usage error.
func loadExclusions(path string) (export.Exclusions, error) {
	ex, err := export.LoadExclusions(path)
	var bad *export.ExclusionsError
	switch {
	case errors.As(err, &bad):
		return nil, usageError("--exclude %v", err)
	case err != nil:
		return nil, usageError("--exclude: %v", err)
	}
	return ex, nil
}

// openExportOutput opens --output (CSV or .jsonl by extension, or
// --output-format) or, without it, standard output (CSV unless
// --output-format says otherwise).
func openExportOutput(path, format string, stdout io.Writer) (*export.Output, error) {
	var fmtOf input.Format = input.FormatCSV
	toFile := path != "" && path != "-"
	if toFile {
		var err error
		if fmtOf, err = input.FormatFor(path, format); err != nil {
			return nil, usageError("--output: %v", err)
		}
	} else if format != "" {
		var err error
		if fmtOf, err = input.FormatFor("-", format); err != nil {
			return nil, usageError("--output-format: %v", err)
		}
	}
	out, err := export.Create(path, fmtOf, stdout)
	var werr *export.WriteError
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, iofs.ErrExist) && toFile:
		return nil, usageError("--output %s already exists: move it away or choose another name", path)
	case errors.As(err, &werr):
		return nil, &job.Stopped{Err: err}
	}
	return nil, usageError("--output: %v", err)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	// With --log-format json the final error line is JSON too.
	format := logFormatArg(args)
	defer func() { err = inLogFormat(format, err) }()
	var f exportFlags
	fs := f.flagSet(stderr)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	format = f.logFormat
	log, err := newLogger(f.logFormat, f.quiet, stderr)
	if err != nil {
		return err
	}
	switch {
	case f.userPoolID == "":
		return usageError("--user-pool-id is required")
	case f.limit < 0:
		return usageError("--limit must be 0 (no limit) or more")
	case f.rate <= 0:
		return usageError("--rate must be above 0")
	case f.backoff.MaxAttempts < 1:
		return usageError("--max-attempts must be 1 or more")
	}
	if err := f.aws.usePoolRegion("--user-pool-id", f.userPoolID); err != nil {
		return err
	}
	sel, err := buildSelection(f.filter, f.status, f.expiredTemporary)
	if err != nil {
		return err
	}
	var ex export.Exclusions
	if f.exclude != "" {
		if ex, err = loadExclusions(f.exclude); err != nil {
			return err
		}
	}
	backoff := f.backoff
	client, err := newClient(ctx, f.aws, 4)
	if err != nil {
		return err
	}
	if err := requireCredentials(ctx, client, f.aws); err != nil {
		return err
	}
	if f.expiredTemporary {
		pool, err := describePool(ctx, client, f.userPoolID, backoff)
		if err != nil {
			return err
		}
		days, source := cognito.TemporaryValidity(pool)
		// One cutoff for the whole listing, taken before it starts: a user
		// who expires while a long listing runs is left for the next one.
		sel.ExpiredBefore = time.Now().Add(-time.Duration(days) * 24 * time.Hour)
		log.Info("selecting expired temporary passwords", "validity_days", days, "from", source,
			"last_modified_before", sel.ExpiredBefore.UTC().Format(time.RFC3339))
	}

	out, err := openExportOutput(f.output, f.outputFormat, stdout)
	if err != nil {
		return err
	}

	var progress export.Progress
	start := time.Now()
	progressDone := make(chan struct{})
	progressStopped := make(chan struct{})
	go func() {
		defer close(progressStopped)
		if f.quiet || f.progressInterval <= 0 {
			return
		}
		t := time.NewTicker(f.progressInterval)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-t.C:
				log.Info("export progress", "listed", progress.Listed.Load(), "pages", progress.Pages.Load(), "written", progress.Written.Load(),
					"excluded", progress.Excluded.Load(), "elapsed", time.Since(start).Round(time.Second).String())
			}
		}
	}()

	res, err := export.Run(ctx, client, export.Options{
		UserPoolID: f.userPoolID,
		Selection:  sel,
		Exclusions: ex,
		Limit:      f.limit,
		Rate:       f.rate,
		Backoff:    backoff,
		OnRateChange: func(old, new float64) {
			log.Info("rate change", "operation", "ListUsers", "from", round1(old), "to", round1(new))
		},
		Progress: &progress,
	}, out)
	close(progressDone)
	<-progressStopped

	var commitErr *export.CommitError
	switch {
	case errors.As(err, &commitErr):
		return &job.Stopped{Err: fmt.Errorf("%w; the export is incomplete", err)}
	case err != nil:
		return exportFailed(ctx, err, out, sel, res.Written)
	}
	dest := "standard output"
	if out.Path() != "" {
		dest = out.Path()
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	printLine(stderr, f.logFormat, slog.LevelInfo, fmt.Sprintf("export: %s written to %s (%d listed in %s, %d excluded, %s, %d throttled, %s)",
		plural(int(res.Written), "user"), dest, res.Users, plural(res.Pages, "page"), res.Excluded, plural(int(res.Calls), "call"), res.Throttled, elapsed),
		"written", res.Written, "output", dest, "listed", res.Users, "pages", res.Pages, "excluded", res.Excluded, "calls", res.Calls, "throttled", res.Throttled, "elapsed", elapsed.String())
	if len(ex) > 0 && res.Excluded == 0 {
		printLine(stderr, f.logFormat, slog.LevelWarn, fmt.Sprintf("export: note: no listed user matched a name in %s", f.exclude))
	}
	return nil
}

// exportFailed turns a listing that stopped into the command's error: where
// it stopped, and that the output is not the whole selection.
func exportFailed(ctx context.Context, err error, out *export.Output, sel export.Selection, written int64) error {
	incomplete := "what reached standard output is incomplete: discard it"
	if out.Partial() != "" {
		incomplete = fmt.Sprintf("the %d users written so far are in %s, which is incomplete; %s was not written", written, out.Partial(), out.Path())
	}
	var le *export.ListError
	if !errors.As(err, &le) {
		return &job.Stopped{Err: fmt.Errorf("%w\n%s", err, incomplete)}
	}
	if ctx.Err() != nil {
		return &job.Stopped{Err: fmt.Errorf("interrupted at page %d, after %d users listed\n%s", le.Page, le.Users, incomplete)}
	}
	// Cognito parses the filter when it reads the first page.
	// A usage error leaves nothing behind: the .partial holds the header
	// only, and goes.
	if le.Page == 1 && le.Code == "InvalidParameterException" && sel.Filter != "" {
		if derr := out.Discard(); derr != nil {
			return usageError("--filter %q: Cognito refused it: %s\n%s could not be removed: %v", sel.Filter, errMessage(le.Err), out.Partial(), derr)
		}
		return usageError("--filter %q: Cognito refused it: %s", sel.Filter, errMessage(le.Err))
	}
	return &job.Stopped{Err: cognito.WithHint(fmt.Errorf("%w\n%s", err, incomplete), le.Code)}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
