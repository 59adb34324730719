package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/term"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/input"
	"cogpass/job"
	"cogpass/pacing"
	"cogpass/report"
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

// manifestSource opens the manifest, as often as the job reads it: once for
// the preflight and once for the run. Each pass hashes what it reads, so
// that a manifest that changed between the two is noticed.
type manifestSource struct {
	path   string
	format input.Format
	warn   func([]string)
	warned bool
	// limit, when above 0, is the size the manifest had when it was
	// hashed: no pass reads past it, so rows added later are never sent.
	limit int64
}

func (m *manifestSource) open() (rows *input.Reader, sum hash.Hash, size *countingReader, closeFn func(), err error) {
	var r io.Reader = stdin
	closeFn = func() {}
	if m.path != "-" {
		f, err := os.Open(m.path)
		if err != nil {
			return nil, nil, nil, nil, usageError("open manifest: %v", err)
		}
		r, closeFn = f, func() { f.Close() }
		if m.limit > 0 {
			r = io.LimitReader(f, m.limit)
		}
	}
	sum = sha256.New()
	size = &countingReader{r: io.TeeReader(r, sum)}
	opts := input.Options{}
	if !m.warned {
		m.warned = true
		opts.OnUnknownColumns = m.warn
	}
	rows, err = input.NewReader(bufio.NewReaderSize(size, 64<<10), m.format, opts)
	if err != nil {
		closeFn()
		return nil, nil, nil, nil, usageError("read manifest %s: %v", m.path, err)
	}
	return rows, sum, size, closeFn, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// codeManifestChanged stops a job whose manifest changed while it ran.
const codeManifestChanged = "ManifestChanged"

// finishHash reads what the reader left (nothing, at EOF) so that the hash
// covers the whole file.
func finishHash(size *countingReader, sum hash.Hash) (string, int64) {
	io.Copy(io.Discard, size)
	return hex.EncodeToString(sum.Sum(nil)), size.n
}

// runJob is set, reset and change: one job over a manifest.
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
	if err := f.check(); err != nil {
		return err
	}
	if err := f.aws.usePoolRegion("--user-pool-id", f.userPoolID); err != nil {
		return err
	}
	if err := f.incident.check(cmd); err != nil {
		return err
	}
	meta, err := input.ParseClientMetadata(f.clientMetadata)
	if err != nil {
		return usageError("--client-metadata: %v", err)
	}
	format, err := input.FormatFor(f.manifest, f.manifestFormat)
	if err != nil {
		return usageError("%v", err)
	}
	var recipients []age.Recipient
	if len(f.recipients) > 0 {
		if recipients, err = report.ParseRecipients(f.recipients); err != nil {
			return usageError("--secrets-recipient: %v", err)
		}
	}
	if f.recipientsFile != "" {
		more, err := report.ParseRecipientsFile(f.recipientsFile)
		if err != nil {
			return usageError("--secrets-recipients-file: %v", err)
		}
		recipients = append(recipients, more...)
	}
	var pol *policy.Policy
	var caseSensitive *bool // the policy file's username case rule
	if f.policyFile != "" {
		data, err := os.ReadFile(f.policyFile)
		if err != nil {
			return usageError("read --policy-file: %v", err)
		}
		p, err := policy.Parse(data)
		if err != nil {
			return usageError("--policy-file %s: %v", f.policyFile, err)
		}
		pol = &p
		caseSensitive = policy.ParseCaseSensitive(data)
	}

	reportPath, secretsPath := f.reportPath, f.secretsPath
	if reportPath == "" {
		if f.dryRun {
			reportPath = f.manifest + ".dryrun.report.csv"
		} else {
			reportPath = f.manifest + ".report.csv"
		}
	}
	if cmd == job.Reset || f.dryRun {
		secretsPath = "" // nothing is generated to keep
	} else if secretsPath == "" {
		secretsPath = f.manifest + ".secrets.csv"
	}

	if err := distinctOutputs(
		output{"--manifest", f.manifest},
		output{"--report", reportPath},
		output{"--report's job record", report.SidecarPath(reportPath)},
		output{"--secrets", secretsPath},
		output{"--summary-json", f.summaryJSON},
		output{"--report's lock", lockPath(reportPath)},
		output{"--secrets' lock", lockPath(secretsPath)},
	); err != nil {
		return err
	}
	unlock, err := lockOutputs(reportPath, secretsPath)
	if err != nil {
		return err
	}
	defer unlock()

	if !f.resume {
		// Refuse before the preflight spends any call: the outputs of an
		// earlier job are never overwritten.
		for _, p := range []string{reportPath, secretsPath} {
			if _, err := os.Stat(p); p != "" && err == nil {
				return usageError("%s exists: %s", p, existsHint(f, p == secretsPath))
			}
		}
	}
	if _, err := os.Lstat(f.summaryJSON); f.summaryJSON != "" && err == nil && !f.resume {
		return usageError("--summary-json %s exists: refusing to overwrite it (move it away, or choose another file)", f.summaryJSON)
	}

	var api cognito.API
	if !f.offline {
		// One idle connection per worker. Without --concurrency the job
		// grows to pacing.MaxWorkers workers at a high --rate; with an idle
		// pool smaller than that, every call past the pool closes its
		// connection and the next one dials again (a TLS handshake each,
		// against Cognito).
		client, err := newClient(ctx, f.aws, max(f.concurrency, pacing.MaxWorkers))
		if err != nil {
			return err
		}
		// ChangePassword is sent unsigned: a change job without a pool
		// to read needs no credentials.
		if cmd != job.Change || f.userPoolID != "" {
			if err := requireCredentials(ctx, client, f.aws); err != nil {
				return err
			}
		}
		api = client
	}
	cfg := job.Config{
		Command:          cmd,
		UserPoolID:       f.userPoolID,
		Permanent:        f.permanent,
		ClientMetadata:   meta,
		Rate:             f.rate,
		Concurrency:      f.concurrency,
		Backoff:          cognito.Backoff{Base: f.backoffBase, Cap: f.backoffCap, MaxAttempts: f.maxAttempts},
		DryRun:           f.dryRun,
		Offline:          f.offline,
		Policy:           pol,
		CaseSensitive:    caseSensitive,
		PasswordLength:   f.passwordLength,
		PasswordSymbols:  f.passwordSymbols,
		IncludeFederated: f.includeFederated,
		ReadRate:         f.readRate,
		CheckFederated:   cmd != job.Change,
		StopGrace:        f.stopGrace,
		Logger:           log,
	}
	f.incident.apply(&cfg)
	cfg.Region, _ = jobConnection(api, f.aws) // rows whose pool is elsewhere are bad rows

	src := &manifestSource{path: f.manifest, format: format, warn: func(names []string) {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		log.Warn("manifest has columns cogpass does not use; ignoring them", "columns", strings.Join(quoted, ","))
	}}

	// The manifest's hash goes in the job record that --resume checks, and
	// is checked again after the run, which hashes what it reads.
	var manifestSHA string
	var manifestSize int64
	if f.manifest != "-" {
		if manifestSHA, manifestSize, err = report.HashFileContext(ctx, f.manifest); ctx.Err() != nil {
			// The first signal stops a manifest that never ends (/dev/zero,
			// a pipe never closed): nothing was written or sent yet.
			return &exitError{code: exitStoppedEarly, err: errors.New("interrupted while reading the manifest: nothing was sent")}
		} else if err != nil {
			return usageError("read manifest: %v", err)
		}
		src.limit = manifestSize
	}
	record := report.Job{
		Command:        string(cmd),
		UserPoolID:     f.userPoolID,
		Permanent:      f.permanent,
		ManifestPath:   f.manifest,
		ManifestSHA256: manifestSHA,
		ManifestSize:   manifestSize,
		Params:         f.jobParams(meta),
		CreatedAt:      time.Now().UTC(),
	}
	record.Region, record.EndpointURL = jobConnection(api, f.aws)
	replaceSummary := false // the summary file is this job's own, from an earlier run
	if f.resume {
		old, err := report.ReadSidecar(reportPath)
		switch {
		case errors.Is(err, iofs.ErrNotExist) && reportIsEmpty(reportPath):
			// The first run died before it recorded anything (killed while
			// it started): nothing is done, so the resumed run is the job.
			log.Info("nothing to resume yet: starting the job", "report", reportPath)
			old = record
		case errors.Is(err, iofs.ErrNotExist):
			return usageError("cannot resume: no job record %s next to the report (was %s written by cogpass?)", report.SidecarPath(reportPath), reportPath)
		case err != nil:
			return usageError("cannot resume: %v", err)
		}
		if diff := old.Diff(record); len(diff) > 0 {
			return usageError("refusing to resume %s: it was written for another job:\n  %s", reportPath, strings.Join(diff, "\n  "))
		}
		if _, err := os.Lstat(f.summaryJSON); f.summaryJSON != "" && err == nil {
			if !old.OwnsSummary(f.summaryJSON) {
				return usageError("--summary-json %s exists and is not the summary this job wrote last: refusing to overwrite it (move it away, or choose another file)", f.summaryJSON)
			}
			replaceSummary = true
		}
	}

	// Preflight: read the whole manifest once before the first write. A
	// manifest on stdin can be read only once, so it goes without.
	var plan *job.Plan
	if f.manifest != "-" && !f.dryRun {
		rows, sum, size, closeManifest, err := src.open()
		if err != nil {
			return err
		}
		if err := checkPoolSource(cmd, &f, rows); err != nil {
			closeManifest()
			return err
		}
		plan, err = job.Preflight(ctx, cfg, api, rows)
		if err == nil {
			// The preflight checked what the job record hashed, or the
			// manifest changed under it.
			if got, _ := finishHash(size, sum); got != manifestSHA {
				err = fmt.Errorf("manifest %s changed while it was read; run again", f.manifest)
			}
		}
		closeManifest()
		if err != nil {
			var fatal *job.Fatal
			if errors.As(err, &fatal) {
				return &exitError{code: exitUsage, err: hinted(fmt.Errorf("preflight: %w", err), fatal.Code)}
			}
			return usageError("preflight: %v", err)
		}
		if poolMissingEverywhere(&f, plan) {
			return errNoPool()
		}
		if plan.Invalid > 0 && !f.skipInvalid {
			var b strings.Builder
			are := "are"
			if plan.Invalid == 1 {
				are = "is"
			}
			fmt.Fprintf(&b, "preflight: %d of %d rows %s invalid; nothing was sent. The first:", plan.Invalid, plan.Rows, are)
			for _, p := range plan.Problems {
				fmt.Fprintf(&b, "\n  %s", p)
			}
			b.WriteString("\nhint: fix the manifest, or pass --skip-invalid to send the valid rows and report the rest as failed")
			return &exitError{code: exitUsage, err: errors.New(b.String())}
		}
		cfg.Plan = plan
	}
	var total int64
	if plan != nil {
		total = plan.Rows
	}
	if cfg.MaxFailures, err = parseMaxFailures(f.maxFailures, total); err != nil {
		return err
	}

	// Open the manifest for the run before any output exists: a manifest
	// that cannot be read (no username column, another separator, UTF-16)
	// is a usage error that leaves nothing behind.
	rows, sum, size, closeManifest, err := src.open()
	if err != nil {
		return err
	}
	defer closeManifest()
	if err := checkPoolSource(cmd, &f, rows); err != nil {
		return err
	}

	if !f.dryRun && !f.yes && f.manifest != "-" && stdinIsTerminal() {
		client, _ := api.(*cip.Client)
		ok, err := confirm(ctx, stderr, gatherConfirmFacts(ctx, cmd, &f, client, plan, reportPath).prompt())
		if err != nil {
			fmt.Fprintln(stderr) // past the ^C, onto a line of its own
			return &exitError{code: exitStoppedEarly, err: errors.New("interrupted at the confirmation prompt: nothing was sent")}
		}
		if !ok {
			return &exitError{code: exitUsage, err: errors.New("not confirmed: nothing was sent")}
		}
	}

	// Outputs: new ones, or the existing ones of the job being resumed.
	var rep *report.Writer
	var secrets *report.Secrets
	var resumed int64 // rows an earlier run finished
	if f.resume {
		// A resume that finds no report at all makes it and its record;
		// when the resume is then refused they are taken back, as a
		// refused start leaves nothing (exit 2).
		createdHere := false
		if _, err := os.Lstat(reportPath); errors.Is(err, iofs.ErrNotExist) {
			if _, err := os.Lstat(report.SidecarPath(reportPath)); errors.Is(err, iofs.ErrNotExist) {
				createdHere = true
			}
		}
		if reportIsEmpty(reportPath) {
			// Nothing recorded: make sure the report and its record exist.
			if r, err := report.Create(reportPath); err == nil {
				r.Close()
			}
			if err := report.WriteSidecar(reportPath, record); err != nil {
				return usageError("%v", err)
			}
		}
		ix, err := report.LoadIndex(reportPath, func(code string) bool { return !cognito.FinalCode(code) })
		if err != nil {
			return usageError("cannot resume: %v", err)
		}
		cfg.Skip = func(line int) bool { return ix.Final(line, f.retryFailed) }
		cfg.WriteDone = ix.WriteDone
		resumed = int64(ix.CountFinal(f.retryFailed))
		log.Info("resuming", "report", reportPath, "rows_done", ix.CountFinal(f.retryFailed), "report_rows", ix.Rows(), "unreadable_rows", ix.BadRows())
		if rep, err = report.Append(reportPath); err != nil {
			return usageError("%v", err)
		}
		if secretsPath != "" {
			if secrets, err = report.AppendSecrets(secretsPath, recipients); err != nil {
				rep.Close()
				if createdHere {
					os.Remove(reportPath)
					os.Remove(report.SidecarPath(reportPath))
				}
				return usageError("%v", err)
			}
		}
		if err := settleInFlight(&cfg, ix, secrets, f.secretsIdentity, log); err != nil {
			rep.Close()
			if secrets != nil {
				secrets.Close()
			}
			return err
		}
	} else {
		if rep, err = report.Create(reportPath); err != nil {
			return usageError("%v", err)
		}
		if err := report.WriteSidecar(reportPath, record); err != nil {
			rep.Close()
			os.Remove(reportPath)
			return usageError("%v", err)
		}
		if secretsPath != "" {
			if secrets, err = report.CreateSecrets(secretsPath, recipients); err != nil {
				// Nothing was sent: take back the report and its record, so
				// that the rerun needs no --resume.
				rep.Close()
				os.Remove(reportPath)
				os.Remove(report.SidecarPath(reportPath))
				return usageError("%v (move it away, or pass --secrets NEWFILE)", err)
			}
		}
	}
	var secretsSink job.SecretsWriter = noSecrets{}
	if secrets != nil {
		secretsSink = secrets
		secretsPath = secrets.Path()
	}

	barTotal := max(0, total-resumed)
	if plan == nil && f.dryRun && f.manifest != "-" && !f.quiet {
		// A dry run has no preflight: one quick pass over the file gives
		// its progress a total and an ETA.
		barTotal = countRows(src)
	}
	prog := newProgress(stderr, stderrIsTerminal(stderr) && !f.quiet, f.incident.progressTotal(barTotal), f.quiet, log, f.progressInterval)
	sink.use(prog.Writer())
	cfg.Progress = prog.Row
	cfg.OnInterrupt = func(inFlight int64, grace time.Duration) {
		prog.Interrupted(stoppingMessage(inFlight, grace))
	}

	summary, runErr := job.Run(ctx, cfg, api, rows, rep, secretsSink)
	prog.Close()
	if summary != nil && summary.LimitReached > 0 {
		summary.LimitOf = limitOf(total, resumed)
	}
	if runErr == nil && manifestSHA != "" {
		got, n := finishHash(size, sum)
		st, statErr := os.Stat(f.manifest)
		if got != manifestSHA || n != manifestSize || statErr != nil || st.Size() != manifestSize {
			runErr = &job.Fatal{Code: codeManifestChanged, Err: fmt.Errorf("manifest %s changed while the job ran; only the rows of the %d bytes it had at the start were sent", f.manifest, manifestSize)}
		}
	}
	if err := rep.Close(); err != nil && runErr == nil {
		runErr = &job.Fatal{Err: fmt.Errorf("close report: %w", err)}
	}
	if secrets != nil {
		if err := secrets.Close(); err != nil && runErr == nil {
			runErr = &job.Fatal{Err: fmt.Errorf("close secrets: %w", err)}
		}
	}
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
			if secrets != nil && secrets.Encrypted() {
				note = "age-encrypted, mode 0600"
			}
			fmt.Fprintf(stderr, "secrets:    %s (%s)\n", secretsPath, note)
		}
	}
	if summary != nil {
		if f.summaryJSON != "" {
			if sha, err := writeSummaryJSON(f.summaryJSON, summary, runErr, replaceSummary); err != nil {
				fmt.Fprintf(stderr, "cogpass: write --summary-json: %v\n", err)
			} else if err := report.RecordSummary(reportPath, f.summaryJSON, sha); err != nil {
				fmt.Fprintf(stderr, "cogpass: record --summary-json in the job record: %v\n", err)
			}
		}
	}
	if runErr != nil {
		var fatal *job.Fatal
		if errors.As(runErr, &fatal) {
			if ctx.Err() != nil {
				return &exitError{code: exitStoppedEarly, err: errors.New("interrupted: " + resumeHint(f, "to finish the job"))}
			}
			if fatal.Code == codeManifestChanged {
				// --resume checks the manifest against the job record: it
				// works with the manifest the job started with, not another.
				next := "--report NEWFILE"
				if secretsPath != "" {
					next += " --secrets NEWFILE"
				}
				return &exitError{code: exitStoppedEarly, err: fmt.Errorf("%w\nhint: to finish this job, put back the manifest it started with (sha256 %s) and rerun with --resume; to send the changed manifest instead, start a new job on it with %s, leaving out the rows %s shows done", runErr, manifestSHA, next, reportPath)}
			}
			return &exitError{code: exitStoppedEarly, err: hinted(fmt.Errorf("%w\n%s", runErr, resumeHint(f, "once it is fixed")), fatal.Code)}
		}
		return &exitError{code: exitUsage, err: runErr}
	}
	if summary.Failed() > 0 {
		return &exitError{code: exitRowsFailed, err: fmt.Errorf("%d of %s failed: see %s", summary.Failed(), plural(int(summary.Rows), "row"), reportPath)}
	}
	return nil
}

// resumeHint says how to go on after a stop, offering --resume only where
// the mode accepts it: not to a dry run, nor to a manifest on stdin.
func resumeHint(f jobFlags, when string) string {
	switch {
	case f.dryRun:
		return "run the dry run again " + when + " (with a new --report, or after moving the report away)"
	case f.manifest == "-":
		return "the report says which rows were done: send the others " + when + " (--resume needs the manifest as a file)"
	}
	return "rerun with --resume " + when
}

// existsHint says what to do about an output left by an earlier job,
// offering --resume only where the command and mode accept it.
func existsHint(f jobFlags, secrets bool) string {
	flag := "--report"
	if secrets {
		flag = "--secrets"
	}
	if f.dryRun || f.manifest == "-" {
		return "move it away, or pass " + flag + " NEWFILE"
	}
	return "pass --resume to continue its job, or move it away"
}

func (f *jobFlags) check() error {
	switch {
	case f.manifest == "":
		return usageError("--manifest is required")
	case f.offline && !f.dryRun:
		return usageError("--offline goes with --dry-run")
	case f.rate <= 0:
		return usageError("--rate must be above 0")
	case f.readRate < 0:
		return usageError("--read-rate must not be negative")
	case f.concurrency < 0:
		return usageError("--concurrency must be 0 (automatic) or more")
	case f.maxAttempts < 1:
		return usageError("--max-attempts must be 1 or more")
	case f.maxFailures != "" && checkMaxFailures(f.maxFailures) != nil:
		return checkMaxFailures(f.maxFailures)
	case f.retryFailed && !f.resume:
		return usageError("--retry-failed goes with --resume")
	case f.secretsIdentity != "" && !f.resume:
		return usageError("--secrets-identity goes with --resume")
	case f.resume && f.dryRun:
		return usageError("--resume does not go with --dry-run: a dry run is quick to run again")
	case f.manifest == "-" && f.reportPath == "":
		return usageError("--report is required when the manifest is read from stdin")
	case f.manifest == "-" && f.resume:
		return usageError("--resume needs the manifest as a file: a manifest on stdin cannot be checked against the report")
	case f.manifest == "-" && f.secretsPath == "" && !f.dryRun && f.cmd != job.Reset:
		// reset generates no password, so it has no secrets file (and no
		// --secrets flag).
		return usageError("--secrets is required when the manifest is read from stdin")
	}
	return nil
}

// jobParams are the settings a resumed run must share with the first.
func (f *jobFlags) jobParams(meta map[string]string) map[string]string {
	p := map[string]string{
		"password_length":   strconv.Itoa(f.passwordLength),
		"include_federated": strconv.FormatBool(f.includeFederated),
	}
	if len(meta) > 0 {
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s;", k, meta[k])
		}
		p["client_metadata"] = b.String()
	}
	f.incident.params(p)
	return p
}

// parseMaxFailures reads --max-failures: N rows, or N% of rows (known from
// the preflight; without one, of no use).
func parseMaxFailures(s string, rows int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || !(v > 0 && v <= 100) { // NaN is neither
			return 0, usageError("--max-failures %q: want a count or a percentage above 0 and up to 100", s)
		}
		if rows == 0 {
			return 0, usageError("--max-failures %s: a percentage needs the row count, which a manifest on stdin or a dry run does not give: give a count", s)
		}
		return max(1, int64(float64(rows)*v/100)), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, usageError("--max-failures %q: want a count of 1 or more, or a percentage like 5%%", s)
	}
	return n, nil
}

func describe(cmd job.Command, permanent bool) string {
	switch {
	case cmd == job.Set && permanent:
		return "set permanent passwords"
	case cmd == job.Set:
		return "set temporary passwords"
	case cmd == job.Reset:
		return "reset the passwords"
	}
	return "change the passwords"
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

// noSecrets is the secrets file of a job that generates no password.
type noSecrets struct{}

func (noSecrets) Write(int, string, string) error { return nil }

// reportIsEmpty says whether a report is missing or holds no row: at most
// a CSV header, whole or cut.
func reportIsEmpty(path string) bool {
	f, err := os.Open(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(f, buf)
	if n == len(buf) {
		return false
	}
	data := buf[:n]
	if report.FormatOf(path) == report.JSONL {
		return len(bytes.TrimSpace(data)) == 0
	}
	i := bytes.IndexByte(data, '\n')
	return i < 0 || len(bytes.TrimSpace(data[i+1:])) == 0
}
