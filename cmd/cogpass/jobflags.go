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

// jobFlags are the flags of set, reset and change: the job's own bound
// straight into its options, and the command line's (the AWS connection,
// the confirmation prompt and the logs) beside them.
type jobFlags struct {
	opts job.Options
	aws  awsFlags
	yes  bool
	logFlags
}

// flagSet is the FlagSet of the job command cmd, bound to f.
func (f *jobFlags) flagSet(cmd job.Command, example string, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet(string(cmd), example, stderr)
	f.register(fs, cmd)
	return fs
}

func (f *jobFlags) register(fs *flag.FlagSet, cmd job.Command) {
	o := &f.opts
	o.Command = cmd
	f.aws.register(fs)
	if cmd.NamesUserInPool() {
		fs.StringVar(&o.UserPoolID, "user-pool-id", "", "the user pool (a manifest's user_pool_id column overrides it per row)")
	} else {
		fs.StringVar(&o.UserPoolID, "user-pool-id", "", "the user pool whose policy generated passwords must meet (default: Cognito's default policy)")
		fs.BoolVar(&f.aws.noSignRequest, "no-sign-request", false, "use no AWS credentials at all (ChangePassword is always sent unsigned; with --user-pool-id, reading the policy needs credentials)")
	}
	fs.StringVar(&o.Manifest, "manifest", "", "CSV or JSON Lines file of users, one row each ('-' reads stdin)")
	fs.StringVar(&o.ManifestFormat, "manifest-format", "", "csv or jsonl (default: by the file's extension)")
	if cmd == job.Set {
		fs.BoolVar(&o.Permanent, "permanent", false, "set permanent passwords (CONFIRMED) instead of temporary ones (FORCE_CHANGE_PASSWORD)")
	}
	if cmd == job.Reset {
		fs.Var((*stringList)(&o.ClientMetadata), "client-metadata", "KEY=VALUE passed to the pool's Lambda triggers (repeatable; a row's client_metadata overrides)")
	}
	fs.StringVar(&o.Report, "report", "", "per-user result report, CSV or .jsonl (default: MANIFEST.report.csv, or MANIFEST.dryrun.report.csv for a dry run)")
	if cmd.SendsPassword() {
		fs.StringVar(&o.Secrets, "secrets", "", "file for generated passwords, mode 0600 (default: MANIFEST.secrets.csv)")
		fs.Var((*stringList)(&o.Recipients), "secrets-recipient", "age recipient (age1...) to encrypt the secrets file to (repeatable)")
		fs.StringVar(&o.RecipientsFile, "secrets-recipients-file", "", "file of age recipients, one per line, to encrypt the secrets file to")
		fs.StringVar(&o.SecretsIdentity, "secrets-identity", "", "with --resume of an encrypted job: age identity file (private key) to read the passwords the stopped run left pending")
		fs.IntVar(&o.PasswordLength, "password-length", 0, "length of generated passwords (default: the pool's minimum, at least 16)")
		fs.Func("password-symbols", "draw generated passwords' symbols from `SET` only, e.g. '!#%' for a mail-merge that chokes on quotes (default: every symbol Cognito accepts)", f.setPasswordSymbols)
	}
	op, _ := quota.Lookup(cmd.Operation())
	fs.Float64Var(&o.Rate, "rate", quota.DefaultRate(cmd.Operation()), fmt.Sprintf("ceiling on %s calls per second; the default is %.0f%% of the %s quota's default %.0f/s, leaving headroom for your app", cmd.Operation(), quota.DefaultShare*100, op.Category, quota.DefaultRPS[op.Category]))
	if cmd.NamesUserInPool() {
		fs.Float64Var(&o.ReadRate, "read-rate", quota.DefaultRate("AdminGetUser"), fmt.Sprintf("ceiling on AdminGetUser look-ups per second (dry run, federated-user check); the default is %.0f%% of the UserRead quota's default %.0f/s. A write job with look-ups goes no faster than this", quota.DefaultShare*100, quota.DefaultRPS[quota.UserRead]))
	}
	fs.IntVar(&o.Concurrency, "concurrency", 0, "concurrent calls (default: chosen from the rate and the measured latency)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "make no write call: validate every row, look every user up, and report what would happen")
	fs.BoolVar(&o.Offline, "offline", false, "with --dry-run: make no call at all, check the manifest alone")
	fs.StringVar(&o.PolicyFile, "policy-file", "", "password policy JSON (from describe-user-pool or 'cogpass policy --output json') instead of reading it from the pool")
	registerRetries(fs, &o.Backoff, "attempts per call before a throttled or faulted row fails")
	fs.BoolVar(&o.Resume, "resume", false, "continue the job of an existing report: rows already done are not sent again")
	fs.BoolVar(&o.RetryFailed, "retry-failed", false, "with --resume: send rows whose last outcome was failed again, too")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "go on when the preflight finds invalid rows; they become failed rows")
	fs.StringVar(&o.MaxFailures, "max-failures", "", "stop the job (resumable) once N rows, or N% of the rows, have failed")
	fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation on a terminal")
	if cmd.NamesUserInPool() {
		fs.BoolVar(&o.IncludeFederated, "include-federated", false, "send rows of federated (EXTERNAL_PROVIDER) users too; by default they are skipped")
	}
	f.logFlags.register(fs, "no progress display or log lines; errors and the summary only", "how often a progress line is logged when stderr is not a terminal")
	fs.StringVar(&o.SummaryJSON, "summary-json", "", "also write the summary as JSON to this new file (on --resume, the job's own earlier summary is replaced)")
	fs.DurationVar(&o.StopGrace, "stop-grace", 10*time.Second, "on a signal, how long calls in flight may take to finish")
	registerIncidentFlags(fs, o)
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

// runJob is set, reset and change: one job over a manifest. The job's life
// is a job.Session; here are the flags, the prompt and the display.
func runJob(ctx context.Context, cmd job.Command, example string, args []string, stdout, stderr io.Writer) (err error) {
	// With --log-format json the final error line is JSON too.
	format := logFormatArg(args)
	defer func() { err = inLogFormat(format, err) }()
	var f jobFlags
	if err := parseFlags(f.flagSet(cmd, example, stderr), args, stdout); err != nil {
		return err
	}
	format = f.logFormat
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
	opts := &f.opts
	opts.Endpoint, opts.Stdin, opts.Logger = f.aws.endpointURL, stdin, log
	if err := opts.Check(); err != nil {
		return err
	}
	if err := f.aws.usePoolRegion("--user-pool-id", opts.UserPoolID); err != nil {
		return err
	}

	var client *cip.Client
	connect := func(ctx context.Context) (cognito.API, error) {
		// One idle connection per worker. Without --concurrency the job
		// grows to pacing.MaxWorkers workers at a high --rate; with an idle
		// pool smaller than that, every call past the pool closes its
		// connection and the next one dials again (a TLS handshake each,
		// against Cognito).
		c, err := newClient(ctx, f.aws, max(opts.Concurrency, pacing.MaxWorkers))
		if err != nil {
			return nil, err
		}
		// An Admin* call is signed; ChangePassword is sent unsigned: a
		// change job without a pool to read needs no credentials.
		if cmd.NamesUserInPool() || opts.UserPoolID != "" {
			if err := requireCredentials(ctx, c, f.aws); err != nil {
				return nil, err
			}
		}
		client = c
		return c, nil
	}
	s, err := job.Open(ctx, *opts, connect)
	if err != nil {
		return err
	}
	defer s.Close()

	if !opts.DryRun && !f.yes && opts.Manifest != "-" && stdinIsTerminal() {
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
			printLine(stderr, f.logFormat, slog.LevelError, fmt.Sprintf("cogpass: print the summary: %v", err))
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
		printLine(stderr, f.logFormat, slog.LevelError, fmt.Sprintf("cogpass: %v", err))
	}
	return s.Outcome(ctx, summary, runErr)
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
