package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/term"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/job"
	"cogpass/pacing"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// jobFlags are the flags every job command takes.
type jobFlags struct {
	cmd              job.Command
	aws              awsFlags
	userPoolID       string
	manifest         string
	manifestFormat   string
	permanent        bool
	clientMetadata   stringList
	reportPath       string
	secretsPath      string
	recipients       stringList
	recipientsFile   string
	secretsIdentity  string
	rate             float64
	readRate         float64
	concurrency      int
	dryRun           bool
	offline          bool
	policyFile       string
	passwordLength   int
	passwordSymbols  *string
	resume           bool
	retryFailed      bool
	skipInvalid      bool
	maxFailures      string
	yes              bool
	includeFederated bool
	summaryJSON      string
	stopGrace        time.Duration
	incident         incidentFlags

	retryFlags
	logFlags
}

func (f *jobFlags) register(fs *flag.FlagSet, cmd job.Command) {
	f.cmd = cmd
	f.aws.register(fs)
	if cmd != job.Change {
		fs.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool (a manifest's user_pool_id column overrides it per row)")
	} else {
		fs.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool whose policy generated passwords must meet (default: Cognito's default policy)")
		fs.BoolVar(&f.aws.noSignRequest, "no-sign-request", false, "use no AWS credentials at all (ChangePassword is always sent unsigned; with --user-pool-id, reading the policy needs credentials)")
	}
	fs.StringVar(&f.manifest, "manifest", "", "CSV or JSON Lines file of users, one row each ('-' reads stdin)")
	fs.StringVar(&f.manifestFormat, "manifest-format", "", "csv or jsonl (default: by the file's extension)")
	if cmd == job.Set {
		fs.BoolVar(&f.permanent, "permanent", false, "set permanent passwords (CONFIRMED) instead of temporary ones (FORCE_CHANGE_PASSWORD)")
	}
	if cmd == job.Reset {
		fs.Var(&f.clientMetadata, "client-metadata", "KEY=VALUE passed to the pool's Lambda triggers (repeatable; a row's client_metadata overrides)")
	}
	fs.StringVar(&f.reportPath, "report", "", "per-user result report, CSV or .jsonl (default: MANIFEST.report.csv, or MANIFEST.dryrun.report.csv for a dry run)")
	if cmd != job.Reset {
		fs.StringVar(&f.secretsPath, "secrets", "", "file for generated passwords, mode 0600 (default: MANIFEST.secrets.csv)")
		fs.Var(&f.recipients, "secrets-recipient", "age recipient (age1...) to encrypt the secrets file to (repeatable)")
		fs.StringVar(&f.recipientsFile, "secrets-recipients-file", "", "file of age recipients, one per line, to encrypt the secrets file to")
		fs.StringVar(&f.secretsIdentity, "secrets-identity", "", "with --resume of an encrypted job: age identity file (private key) to read the passwords the stopped run left pending")
		fs.IntVar(&f.passwordLength, "password-length", 0, "length of generated passwords (default: the pool's minimum, at least 16)")
		fs.Func("password-symbols", "draw generated passwords' symbols from `SET` only, e.g. '!#%' for a mail-merge that chokes on quotes (default: every symbol Cognito accepts)", f.setPasswordSymbols)
	}
	op, _ := quota.Lookup(cmd.Operation())
	fs.Float64Var(&f.rate, "rate", quota.DefaultRate(cmd.Operation()), fmt.Sprintf("ceiling on %s calls per second; the default is %.0f%% of the %s quota's default %.0f/s, leaving headroom for your app", cmd.Operation(), quota.DefaultShare*100, op.Category, quota.DefaultRPS[op.Category]))
	if cmd != job.Change {
		fs.Float64Var(&f.readRate, "read-rate", quota.DefaultRate("AdminGetUser"), fmt.Sprintf("ceiling on AdminGetUser look-ups per second (dry run, federated-user check); the default is %.0f%% of the UserRead quota's default %.0f/s. A write job with look-ups goes no faster than this", quota.DefaultShare*100, quota.DefaultRPS[quota.UserRead]))
	}
	fs.IntVar(&f.concurrency, "concurrency", 0, "concurrent calls (default: chosen from the rate and the measured latency)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "make no write call: validate every row, look every user up, and report what would happen")
	fs.BoolVar(&f.offline, "offline", false, "with --dry-run: make no call at all, check the manifest alone")
	fs.StringVar(&f.policyFile, "policy-file", "", "password policy JSON (from describe-user-pool or 'cogpass policy --output json') instead of reading it from the pool")
	f.retryFlags.register(fs, "attempts per call before a throttled or faulted row fails")
	fs.BoolVar(&f.resume, "resume", false, "continue the job of an existing report: rows already done are not sent again")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "with --resume: send rows whose last outcome was failed again, too")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "go on when the preflight finds invalid rows; they become failed rows")
	fs.StringVar(&f.maxFailures, "max-failures", "", "stop the job (resumable) once N rows, or N% of the rows, have failed")
	fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation on a terminal")
	if cmd != job.Change {
		fs.BoolVar(&f.includeFederated, "include-federated", false, "send rows of federated (EXTERNAL_PROVIDER) users too; by default they are skipped")
	}
	f.logFlags.register(fs, "no progress display or log lines; errors and the summary only", "how often a progress line is logged when stderr is not a terminal")
	fs.StringVar(&f.summaryJSON, "summary-json", "", "also write the summary as JSON to this new file (on --resume, the job's own earlier summary is replaced)")
	fs.DurationVar(&f.stopGrace, "stop-grace", 10*time.Second, "on a signal, how long calls in flight may take to finish")
	f.incident.register(fs, cmd)
}

func newFlagSet(name, example string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cogpass %s [flags]\n\nExample:\n%s\nFlags:\n", name, indent(example))
		fs.PrintDefaults()
	}
	return fs
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// parseFlags parses args for a command that takes no arguments; -h prints
// the usage on stdout and succeeds.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	if err := parseFlagsWithArgs(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (flags go before it, values after an =)", fs.Arg(0))
	}
	return nil
}

// parseFlagsWithArgs is parseFlags for a command that takes arguments.
func parseFlagsWithArgs(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	// The flag package would print the whole help after its message: the
	// message, a suggestion and the short usage say more (flagError).
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		return flagError(fs, err)
	}
	return checkNumbers(fs)
}

func newLogger(format string, quiet bool, stderr io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usageError("--log-format %q: want text or json", format)
}

// stdin and stdinIsTerminal are the confirmation prompt's input, and stdin
// a manifest's given as '-'; tests replace them.
var (
	stdin            io.Reader = os.Stdin
	stdinIsTerminal            = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
	stderrIsTerminal           = func(w io.Writer) bool {
		f, ok := w.(*os.File)
		return ok && term.IsTerminal(int(f.Fd()))
	}
)

// options are the flags as the job's options.
func (f *jobFlags) options(log *slog.Logger) job.Options {
	return job.Options{
		Command:          f.cmd,
		UserPoolID:       f.userPoolID,
		Manifest:         f.manifest,
		ManifestFormat:   f.manifestFormat,
		Permanent:        f.permanent,
		ClientMetadata:   f.clientMetadata,
		Report:           f.reportPath,
		Secrets:          f.secretsPath,
		SummaryJSON:      f.summaryJSON,
		Recipients:       f.recipients,
		RecipientsFile:   f.recipientsFile,
		SecretsIdentity:  f.secretsIdentity,
		Rate:             f.rate,
		ReadRate:         f.readRate,
		Concurrency:      f.concurrency,
		Backoff:          cognito.Backoff{Base: f.backoffBase, Cap: f.backoffCap, MaxAttempts: f.maxAttempts},
		DryRun:           f.dryRun,
		Offline:          f.offline,
		PolicyFile:       f.policyFile,
		PasswordLength:   f.passwordLength,
		PasswordSymbols:  f.passwordSymbols,
		Resume:           f.resume,
		RetryFailed:      f.retryFailed,
		SkipInvalid:      f.skipInvalid,
		MaxFailures:      f.maxFailures,
		IncludeFederated: f.includeFederated,
		SkipStatus:       f.incident.skipStatus,
		Limit:            f.incident.limit,
		SignOut:          f.incident.signOut,
		StopGrace:        f.stopGrace,
		Endpoint:         f.aws.endpointURL,
		Stdin:            stdin,
		Logger:           log,
	}
}

// runJob is set, reset and change: one job over a manifest. The job's life
// is a job.Session; here are the flags, the prompt and the display.
func runJob(ctx context.Context, cmd job.Command, example string, args []string, stdout, stderr io.Writer) error {
	var f jobFlags
	fs := newFlagSet(string(cmd), example, stderr)
	f.register(fs, cmd)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	// Log lines go through the progress display on a terminal, so that
	// they do not tear its bar.
	sink := newLogSink(stderr)
	log, err := newLogger(f.logFormat, f.quiet, sink)
	if err != nil {
		return err
	}
	if stderrIsTerminal(stderr) {
		log = slog.New(limitRateChanges(log.Handler(), time.Minute))
	}
	opts := f.options(log)
	if err := opts.Check(); err != nil {
		return err
	}
	if err := f.aws.usePoolRegion("--user-pool-id", f.userPoolID); err != nil {
		return err
	}

	var client *cip.Client
	connect := func(ctx context.Context) (cognito.API, error) {
		// One idle connection per worker. Without --concurrency the job
		// grows to pacing.MaxWorkers workers at a high --rate; with an idle
		// pool smaller than that, every call past the pool closes its
		// connection and the next one dials again (a TLS handshake each,
		// against Cognito).
		c, err := newClient(ctx, f.aws, max(f.concurrency, pacing.MaxWorkers))
		if err != nil {
			return nil, err
		}
		// ChangePassword is sent unsigned: a change job without a pool
		// to read needs no credentials.
		if cmd != job.Change || f.userPoolID != "" {
			if err := requireCredentials(ctx, c, f.aws); err != nil {
				return nil, err
			}
		}
		client = c
		return c, nil
	}
	s, err := job.Open(ctx, opts, connect)
	if err != nil {
		return err
	}
	defer s.Close()

	if !f.dryRun && !f.yes && f.manifest != "-" && stdinIsTerminal() {
		ok, err := confirm(ctx, stderr, gatherConfirmFacts(ctx, cmd, s.Preview(), f.aws, client).prompt())
		if err != nil {
			fmt.Fprintln(stderr) // past the ^C, onto a line of its own
			return &job.Stopped{Err: errors.New("interrupted at the confirmation prompt: nothing was sent")}
		}
		if !ok {
			return &job.UsageError{Err: errors.New("not confirmed: nothing was sent")}
		}
	}

	if err := s.Start(); err != nil {
		return err
	}
	prog := newProgress(stderr, stderrIsTerminal(stderr) && !f.quiet, s.Expected(!f.quiet), f.quiet, log, f.progressInterval)
	sink.use(prog.Writer())
	summary, runErr := s.Run(ctx, job.Hooks{
		Progress: prog.Row,
		OnInterrupt: func(inFlight int64, grace time.Duration) {
			prog.Interrupted(stoppingMessage(inFlight, grace))
		},
	})
	prog.Close()
	reportPath, secretsPath := s.ReportPath(), s.SecretsPath()
	if summary != nil && f.logFormat == "json" {
		// Every line of stderr is JSON: the summary too.
		if err := printSummaryJSON(stderr, summary, runErr, reportPath, secretsPath); err != nil {
			fmt.Fprintf(stderr, "cogpass: print the summary: %v\n", err)
		}
	} else if summary != nil {
		fmt.Fprintln(stderr)
		summary.Print(stderr)
		fmt.Fprintf(stderr, "report:     %s\n", reportPath)
		if secretsPath != "" {
			note := "mode 0600: generated passwords; keep it safe, delete it when done"
			if s.SecretsEncrypted() {
				note = "age-encrypted, mode 0600"
			}
			fmt.Fprintf(stderr, "secrets:    %s (%s)\n", secretsPath, note)
		}
	}
	if err := s.WriteSummary(summary, runErr); err != nil {
		fmt.Fprintf(stderr, "cogpass: %v\n", err)
	}
	return s.Outcome(ctx, summary, runErr)
}

func orManifest(pool string) string {
	if pool == "" {
		return "(per row, from the manifest)"
	}
	return pool
}

// confirm asks on the terminal and reads a yes. A signal while it waits
// (Ctrl-C) cancels: it returns ctx's error at once instead of taking the
// next line typed as the answer. The read it leaves blocked ends with the
// process.
func confirm(ctx context.Context, stderr io.Writer, prompt string) (bool, error) {
	fmt.Fprint(stderr, prompt)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case line := <-answer:
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}
