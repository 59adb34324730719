package job

import (
	"context"
	"errors"
	"fmt"
	"hash"
	iofs "io/fs"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/input"
	"cogpass/report"
)

// Session is one job's life, from the options to the summary:
//
//   - Open names the outputs and locks them, refuses outputs an earlier job
//     left (unless resuming) and a resume of another job, hashes the
//     manifest and runs the preflight: nothing is written yet;
//   - Preview says what the job is about to do, for a confirmation;
//   - Start makes the report and the secrets file, or opens those of the
//     job it resumes;
//   - Run sends the rows and closes the outputs; Outcome says how it ended;
//   - Close lets go of the manifest and the locks.
//
// Every error is one of the kinds in errors.go.
type Session struct {
	opts     Options
	log      *slog.Logger
	statuses []string // parsed SkipStatus
	api      cognito.API
	cfg      Config

	reportPath, secretsPath string
	recipients              []age.Recipient
	record                  report.Job
	manifestSHA             string
	manifestSize            int64
	replaceSummary          bool // the summary file is this job's own, from an earlier run

	// summaryErr is WriteSummary's failure to write the --summary-json
	// file: Outcome does not call the job a success without it.
	summaryErr error

	src   *manifestSource
	plan  *Plan
	total int64 // the manifest's rows, from the preflight (0 without one)

	// The manifest, open for the run.
	rows          *input.Reader
	sum           hash.Hash
	size          *countingReader
	closeManifest func()
	unlock        func()

	rep           *report.Writer
	secrets       *report.Secrets
	secretsClosed bool
	resumed       int64 // rows an earlier run finished
	earlierFailed int64 // of those, the failed ones this run does not send again
}

// Open checks the options, names the job's outputs and locks them, checks a
// resume against the job's record, hashes the manifest, runs the preflight
// and opens the manifest for the run. It calls connect, after the outputs
// are locked, for the client the job calls (not for an offline dry run).
// Nothing is written or sent to a pool's users before Start and Run; a
// refusal is a *UsageError. Close the session when done.
func Open(ctx context.Context, o Options, connect func(context.Context) (cognito.API, error)) (_ *Session, err error) {
	s := &Session{opts: o, log: o.Logger, closeManifest: func() {}, unlock: func() {}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := o.Check(); err != nil {
		return nil, err
	}
	if s.statuses, err = o.checkIncident(); err != nil {
		return nil, err
	}
	meta, err := input.ParseClientMetadata(o.ClientMetadata)
	if err != nil {
		return nil, Usagef("--client-metadata: %v", err)
	}
	format, err := input.FormatFor(o.Manifest, o.ManifestFormat)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	if len(o.Recipients) > 0 {
		if s.recipients, err = report.ParseRecipients(o.Recipients); err != nil {
			return nil, Usagef("--secrets-recipient: %v", err)
		}
	}
	if o.RecipientsFile != "" {
		more, err := report.ParseRecipientsFile(o.RecipientsFile)
		if err != nil {
			return nil, Usagef("--secrets-recipients-file: %v", err)
		}
		s.recipients = append(s.recipients, more...)
	}
	var pol *policy.Policy
	var caseSensitive *bool // the policy file's username case rule
	if o.PolicyFile != "" {
		data, err := os.ReadFile(o.PolicyFile)
		if err != nil {
			return nil, Usagef("read --policy-file: %v", err)
		}
		p, err := policy.Parse(data)
		if err != nil {
			return nil, Usagef("--policy-file %s: %v", o.PolicyFile, err)
		}
		pol = &p
		caseSensitive = policy.ParseCaseSensitive(data)
	}

	if err := s.nameOutputs(); err != nil {
		return nil, err
	}

	if !o.Offline {
		if s.api, err = connect(ctx); err != nil {
			return nil, err
		}
	}
	s.cfg = Config{
		Command:          o.Command,
		UserPoolID:       o.UserPoolID,
		Permanent:        o.Permanent,
		ClientMetadata:   meta,
		Rate:             o.Rate,
		Concurrency:      o.Concurrency,
		Backoff:          o.Backoff,
		DryRun:           o.DryRun,
		Offline:          o.Offline,
		Policy:           pol,
		CaseSensitive:    caseSensitive,
		PasswordLength:   o.PasswordLength,
		PasswordSymbols:  o.PasswordSymbols,
		IncludeFederated: o.IncludeFederated,
		ReadRate:         o.ReadRate,
		CheckFederated:   o.Command.traits().admin,
		StopGrace:        o.StopGrace,
		Logger:           s.log,
		SkipStatus:       s.statuses,
		Limit:            o.Limit,
		SignOut:          o.SignOut,
	}
	s.cfg.Region, _ = Connection(s.api, o.Endpoint) // rows whose pool is elsewhere are bad rows

	s.src = &manifestSource{path: o.Manifest, format: format, stdin: o.Stdin, warn: func(names []string) {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		s.log.Warn("manifest has columns cogpass does not use; ignoring them", "columns", strings.Join(quoted, ","))
	}}

	// The manifest's hash goes in the job record that --resume checks, and
	// is checked again after the run, which hashes what it reads.
	if o.Manifest != "-" {
		if s.manifestSHA, s.manifestSize, err = report.HashFileContext(ctx, o.Manifest); ctx.Err() != nil {
			// The first signal stops a manifest that never ends (/dev/zero,
			// a pipe never closed): nothing was written or sent yet.
			return nil, &Stopped{Err: errors.New("interrupted while reading the manifest: nothing was sent")}
		} else if err != nil {
			return nil, Usagef("read manifest: %v", err)
		}
		s.src.limit = s.manifestSize
	}
	s.record = report.Job{
		Command:        string(o.Command),
		UserPoolID:     o.UserPoolID,
		Permanent:      o.Permanent,
		ManifestPath:   o.Manifest,
		ManifestSHA256: s.manifestSHA,
		ManifestSize:   s.manifestSize,
		Params:         o.params(meta, s.statuses),
		CreatedAt:      time.Now().UTC(),
	}
	s.record.Region, s.record.EndpointURL = Connection(s.api, o.Endpoint)
	if o.Resume {
		if err := s.checkResume(); err != nil {
			return nil, err
		}
	}
	if err := s.preflight(ctx); err != nil {
		return nil, err
	}
	if s.plan != nil {
		s.total = s.plan.Rows
	}
	if s.cfg.MaxFailures, err = ParseMaxFailures(o.MaxFailures, s.total); err != nil {
		return nil, err
	}

	// Open the manifest for the run before any output exists: a manifest
	// that cannot be read (no username column, another separator, UTF-16)
	// is a usage error that leaves nothing behind.
	if s.rows, s.sum, s.size, s.closeManifest, err = s.src.open(); err != nil {
		s.closeManifest = func() {}
		return nil, err
	}
	if err := checkPoolSource(&s.opts, s.rows); err != nil {
		return nil, err
	}
	return s, nil
}

// nameOutputs names the report and the secrets file (after the manifest,
// unless given), refuses two outputs that are one file, locks them, and
// refuses outputs an earlier job left, unless resuming.
func (s *Session) nameOutputs() error {
	o := &s.opts
	s.reportPath, s.secretsPath = o.Report, o.Secrets
	if s.reportPath == "" {
		if o.DryRun {
			s.reportPath = o.Manifest + ".dryrun.report.csv"
		} else {
			s.reportPath = o.Manifest + ".report.csv"
		}
	}
	if !o.Command.traits().password || o.DryRun {
		s.secretsPath = "" // nothing is generated to keep
	} else if s.secretsPath == "" {
		s.secretsPath = o.Manifest + ".secrets.csv"
	}

	if err := DistinctOutputs(
		Output{"--manifest", o.Manifest},
		Output{"--report", s.reportPath},
		Output{"--report's job record", report.SidecarPath(s.reportPath)},
		Output{"--secrets", s.secretsPath},
		Output{"--summary-json", o.SummaryJSON},
		Output{"--report's lock", lockPath(s.reportPath)},
		Output{"--secrets' lock", lockPath(s.secretsPath)},
	); err != nil {
		return err
	}
	if err := checkSummaryDir(o.SummaryJSON); err != nil {
		return err
	}
	if s.secretsPath != "" && !o.Resume && report.FormatOf(s.secretsPath) == report.JSONL {
		// The report follows its name's extension; the secrets file is
		// always CSV (or age), and a .jsonl name would mislead whatever
		// reads it. A resume keeps the name its job started with.
		return Usagef("--secrets %s: the secrets file is CSV (line,username,password,status) whatever its name; give it a .csv name", s.secretsPath)
	}
	unlock, err := lockOutputs(s.reportPath, s.secretsPath)
	if err != nil {
		return err
	}
	s.unlock = unlock

	if !o.Resume {
		// Refuse before the preflight spends any call: the outputs of an
		// earlier job are never overwritten.
		for _, p := range []string{s.reportPath, s.secretsPath} {
			if _, err := os.Stat(p); p != "" && err == nil {
				return Usagef("%s exists: %s", p, o.existsHint(p == s.secretsPath))
			}
		}
	}
	if _, err := os.Lstat(o.SummaryJSON); o.SummaryJSON != "" && err == nil && !o.Resume {
		return Usagef("--summary-json %s exists: refusing to overwrite it (move it away, or choose another file)", o.SummaryJSON)
	}
	return nil
}

// checkResume refuses to resume a report written for another job (another
// manifest, pool, command or settings), and a summary file that is not
// this job's.
func (s *Session) checkResume() error {
	o := &s.opts
	old, err := report.ReadSidecar(s.reportPath)
	switch {
	case errors.Is(err, iofs.ErrNotExist) && reportIsEmpty(s.reportPath):
		// The first run died before it recorded anything (killed while
		// it started): nothing is done, so the resumed run is the job.
		s.log.Info("nothing to resume yet: starting the job", "report", s.reportPath)
		old = s.record
	case errors.Is(err, iofs.ErrNotExist):
		return Usagef("cannot resume: no job record %s next to the report (was %s written by cogpass?)", report.SidecarPath(s.reportPath), s.reportPath)
	case err != nil:
		return Usagef("cannot resume: %v", err)
	}
	if diff := old.Diff(s.record); len(diff) > 0 {
		return Usagef("refusing to resume %s: it was written for another job:\n  %s", s.reportPath, strings.Join(diff, "\n  "))
	}
	if _, err := os.Lstat(o.SummaryJSON); o.SummaryJSON != "" && err == nil {
		if !old.OwnsSummary(o.SummaryJSON) {
			return Usagef("--summary-json %s exists and is not the summary this job wrote last: refusing to overwrite it (move it away, or choose another file)", o.SummaryJSON)
		}
		s.replaceSummary = true
	}
	return nil
}

// preflight reads the whole manifest once before the first write. A
// manifest on stdin can be read only once, so it goes without, and so does
// a dry run.
func (s *Session) preflight(ctx context.Context) error {
	o := &s.opts
	if o.Manifest == "-" || o.DryRun {
		return nil
	}
	rows, sum, size, closeManifest, err := s.src.open()
	if err != nil {
		return err
	}
	if err := checkPoolSource(o, rows); err != nil {
		closeManifest()
		return err
	}
	plan, err := Preflight(ctx, s.cfg, s.api, rows)
	if err == nil {
		// The preflight checked what the job record hashed, or the
		// manifest changed under it.
		if got, _ := finishHash(size, sum); got != s.manifestSHA {
			err = fmt.Errorf("manifest %s changed while it was read; run again", o.Manifest)
		}
	}
	closeManifest()
	if err != nil {
		var fatal *Fatal
		if errors.As(err, &fatal) {
			return &UsageError{Err: cognito.WithHint(fmt.Errorf("preflight: %w", err), fatal.Code)}
		}
		return Usagef("preflight: %v", err)
	}
	if poolMissingEverywhere(o, plan) {
		return errNoPool()
	}
	if plan.Invalid > 0 && !o.SkipInvalid {
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
		return &UsageError{Err: errors.New(b.String())}
	}
	s.plan = plan
	s.cfg.Plan = plan
	return nil
}

// PoolRows is a pool and its valid rows in the manifest.
type PoolRows struct {
	ID   string
	Rows int64
}

// Preview is what an opened session is about to do, for a confirmation
// prompt: the action, how many users, in which pools, with how many
// passwords generated.
type Preview struct {
	// Action is what the job does to each user ("reset the passwords"),
	// with the users it skips, the sign-out and the --limit.
	Action string
	Send   int64 // rows this run sends
	Total  int64 // valid rows of the manifest
	Done   int64 // rows an earlier run finished (resume)
	Resume bool
	Pools  []PoolRows // sorted by ID
	// Passwords is set for set and change, which generate passwords the
	// manifest does not supply: Generated and Supplied count them.
	Passwords           bool
	Generated, Supplied int64
}

// Preview is what the session is about to do. Without a preflight (a
// manifest on stdin) it knows no row.
func (s *Session) Preview() Preview {
	o := &s.opts
	plan := s.plan
	if plan == nil {
		plan = &Plan{}
	}
	var done int64
	if o.Resume {
		if ix, err := report.LoadIndex(s.reportPath, func(code string) bool { return !cognito.FinalCode(code) }); err == nil {
			done = int64(ix.CountFinal(o.RetryFailed))
		}
	}
	return s.preview(plan, done)
}

// preview is the Preview of a session whose earlier runs finished done rows.
func (s *Session) preview(plan *Plan, done int64) Preview {
	o := &s.opts
	p := Preview{Action: describe(o.Command, o.Permanent), Total: plan.Rows - plan.Invalid, Resume: o.Resume,
		Passwords: o.Command.traits().password, Generated: plan.Generated, Supplied: plan.Supplied}
	p.Send = p.Total
	if o.Resume {
		p.Done = done
		p.Send = max(0, p.Total-p.Done)
	}
	if len(s.statuses) > 0 {
		p.Action += " (skipping users " + strings.Join(s.statuses, " or ") + ")"
	}
	if o.SignOut {
		p.Action += ", then sign each user out of every device"
	}
	if o.Limit > 0 && p.Send > o.Limit {
		p.Action += fmt.Sprintf(", stopping after %d rows (--limit)", o.Limit)
		p.Send = o.Limit
	}
	for id, n := range plan.Pools {
		p.Pools = append(p.Pools, PoolRows{id, n})
	}
	sort.Slice(p.Pools, func(i, j int) bool { return p.Pools[i].ID < p.Pools[j].ID })
	return p
}

// Start makes the job's outputs: a new report, its job record and the
// secrets file, or, on a resume, opens those of the job and settles the
// rows its stopped run left in flight. A refusal takes back what it made.
func (s *Session) Start() error {
	o := &s.opts
	var err error
	if o.Resume {
		// A resume that finds no report at all makes it and its record;
		// when the resume is then refused they are taken back, as a
		// refused start leaves nothing (exit 2).
		createdHere := false
		if _, err := os.Lstat(s.reportPath); errors.Is(err, iofs.ErrNotExist) {
			if _, err := os.Lstat(report.SidecarPath(s.reportPath)); errors.Is(err, iofs.ErrNotExist) {
				createdHere = true
			}
		}
		if reportIsEmpty(s.reportPath) {
			// Nothing recorded: make sure the report and its record exist.
			if r, err := report.Create(s.reportPath); err == nil {
				r.Close()
			}
			if err := report.WriteSidecar(s.reportPath, s.record); err != nil {
				return Usagef("%v", err)
			}
		}
		ix, err := report.LoadIndex(s.reportPath, func(code string) bool { return !cognito.FinalCode(code) })
		if err != nil {
			return Usagef("cannot resume: %v", err)
		}
		s.cfg.Skip = func(line int) bool { return ix.Final(line, o.RetryFailed) }
		s.cfg.WriteDone = ix.WriteDone
		s.resumed = int64(ix.CountFinal(o.RetryFailed))
		s.earlierFailed = int64(ix.CountFailedKept(o.RetryFailed))
		s.log.Info("resuming", "report", s.reportPath, "rows_done", ix.CountFinal(o.RetryFailed), "report_rows", ix.Rows(), "unreadable_rows", ix.BadRows())
		if s.rep, err = report.Append(s.reportPath); err != nil {
			return Usagef("%v", err)
		}
		if s.secretsPath != "" {
			if s.secrets, err = report.AppendSecrets(s.secretsPath, s.recipients); err != nil {
				s.rep.Close()
				s.rep = nil
				if createdHere {
					os.Remove(s.reportPath)
					os.Remove(report.SidecarPath(s.reportPath))
				}
				return Usagef("%v", err)
			}
		}
		if err := settleInFlight(&s.cfg, ix, s.secrets, o.SecretsIdentity, s.log); err != nil {
			s.closeOutputs()
			return err
		}
	} else {
		if s.rep, err = report.Create(s.reportPath); err != nil {
			return Usagef("%v", err)
		}
		if err := report.WriteSidecar(s.reportPath, s.record); err != nil {
			s.rep.Close()
			s.rep = nil
			os.Remove(s.reportPath)
			return Usagef("%v", err)
		}
		if s.secretsPath != "" {
			if s.secrets, err = report.CreateSecrets(s.secretsPath, s.recipients); err != nil {
				// Nothing was sent: take back the report and its record, so
				// that the rerun needs no --resume.
				s.rep.Close()
				s.rep = nil
				os.Remove(s.reportPath)
				os.Remove(report.SidecarPath(s.reportPath))
				return Usagef("%v (move it away, or pass --secrets NEWFILE)", err)
			}
		}
	}
	if s.secrets != nil {
		s.secretsPath = s.secrets.Path()
	}
	return nil
}

// Expected is the rows the run is expected to finish, for a progress
// display: the manifest's less those an earlier run finished, no more than
// --limit. A dry run has no preflight: with countDryRun, one quick pass
// over the file counts its rows.
func (s *Session) Expected(countDryRun bool) int64 {
	o := &s.opts
	rows := max(0, s.total-s.resumed)
	if s.plan == nil && o.DryRun && o.Manifest != "-" && countDryRun {
		rows = countRows(s.src)
	}
	if o.Limit > 0 && rows > o.Limit {
		return o.Limit
	}
	return rows
}

// Hooks are what a running session tells its caller.
type Hooks struct {
	// Progress is told of every finished row (see Config.Progress).
	Progress func(report.Row, Counts)
	// OnInterrupt is told when the job's context ends (see
	// Config.OnInterrupt).
	OnInterrupt func(inFlight int64, grace time.Duration)
}

// Run sends the rows (after Start), checks that the manifest did not
// change while it ran, and closes the report and the secrets file. It
// returns the summary (nil when the job never started) and the error that
// stopped the run, as the job says it (a *Fatal, most often); Outcome turns
// them into the session's end.
func (s *Session) Run(ctx context.Context, h Hooks) (*Summary, error) {
	o := &s.opts
	var secretsSink SecretsWriter = noSecrets{}
	if s.secrets != nil {
		secretsSink = s.secrets
	}
	s.cfg.Progress = h.Progress
	s.cfg.OnInterrupt = h.OnInterrupt
	summary, runErr := Run(ctx, s.cfg, s.api, s.rows, s.rep, secretsSink)
	if summary != nil && summary.LimitReached > 0 {
		summary.LimitOf = limitOf(s.total, s.resumed)
	}
	if runErr == nil && s.manifestSHA != "" {
		got, n := finishHash(s.size, s.sum)
		st, statErr := os.Stat(o.Manifest)
		if got != s.manifestSHA || n != s.manifestSize || statErr != nil || st.Size() != s.manifestSize {
			runErr = &Fatal{Code: codeManifestChanged, Err: fmt.Errorf("manifest %s changed while the job ran; only the rows of the %d bytes it had at the start were sent", o.Manifest, s.manifestSize)}
		}
	}
	if err := s.rep.Close(); err != nil && runErr == nil {
		runErr = &Fatal{Err: fmt.Errorf("close report: %w", err)}
	}
	s.rep = nil
	if s.secrets != nil {
		s.secretsClosed = true
		if err := s.secrets.Close(); err != nil && runErr == nil {
			runErr = &Fatal{Err: fmt.Errorf("close secrets: %w", err)}
		}
	}
	var fatal *Fatal
	if errors.As(runErr, &fatal) && fatal.unreached && !o.Resume && s.discardOutputs() {
		return nil, &UsageError{Err: cognito.WithHint(fatal, fatal.Code)}
	}
	return summary, runErr
}

// discardOutputs removes the files of a job that its pool's
// ResourceNotFoundException stopped before any call reached a pool (a
// mistyped --user-pool-id; reset, a dry run and a manifest on stdin have no
// preflight to find it): they hold nothing worth keeping, and would refuse
// the corrected run ("exists") or its --resume ("user pool differs"). The
// job ends as a usage error (exit 2, nothing left), as set's preflight ends
// on the same pool. A --resume keeps its files: they hold an earlier run's
// rows. A pool of several (a user_pool_id column) fails only its rows
// (poolNotFound) and never gets here.
//
// It reports whether every file is gone. The report goes first: if it
// cannot be removed, the job ends as it would have (exit 3, resumable).
func (s *Session) discardOutputs() bool {
	for _, p := range []string{s.reportPath, report.SidecarPath(s.reportPath), s.secretsPath} {
		if p == "" || p == "-" {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			s.log.Warn("could not remove a file of the job", "file", p, "error", err)
			return false
		}
	}
	return true
}

// Outcome is how the run ended, as the session's error: nil when every row
// succeeded (or was planned), *RowsFailed when some failed, *Stopped when
// the job stopped before its end (with how to go on), *UsageError when it
// could not run at all.
func (s *Session) Outcome(ctx context.Context, summary *Summary, runErr error) error {
	o := &s.opts
	if usage := (*UsageError)(nil); errors.As(runErr, &usage) {
		return runErr // Run discarded the job's files (discardOutputs)
	}
	if runErr != nil {
		var fatal *Fatal
		if errors.As(runErr, &fatal) {
			if ctx.Err() != nil {
				return &Stopped{Err: errors.New("interrupted: " + o.resumeHint("to finish the job"))}
			}
			if fatal.Code == codeManifestChanged {
				// --resume checks the manifest against the job record: it
				// works with the manifest the job started with, not another.
				next := "--report NEWFILE"
				if s.secretsPath != "" {
					next += " --secrets NEWFILE"
				}
				return &Stopped{Err: fmt.Errorf("%w\nhint: to finish this job, put back the manifest it started with (sha256 %s) and rerun with --resume; to send the changed manifest instead, start a new job on it with %s, leaving out the rows %s shows done", runErr, s.manifestSHA, next, s.reportPath)}
			}
			return &Stopped{Err: cognito.WithHint(fmt.Errorf("%w\n%s", runErr, o.resumeHint("once it is fixed")), fatal.Code)}
		}
		return &UsageError{Err: runErr}
	}
	// The exit status is the job's, not the run's: a resume that finishes
	// the job while the report keeps failed rows of an earlier run (a
	// permanent failure, not sent again without --retry-failed) ends with
	// rows failed, as the first run would have had it gone to its end.
	earlier := ""
	switch {
	case s.earlierFailed == 1:
		earlier = "1 row of an earlier run of this job failed and was not sent again (--resume --retry-failed sends it)"
	case s.earlierFailed > 1:
		earlier = fmt.Sprintf("%d rows of an earlier run of this job failed and were not sent again (--resume --retry-failed sends them)", s.earlierFailed)
	}
	switch {
	case summary.Failed() > 0 && earlier != "":
		return &RowsFailed{Err: fmt.Errorf("%d of %s failed, and %s: see %s", summary.Failed(), plural(summary.Rows, "row"), earlier, s.reportPath)}
	case summary.Failed() > 0:
		return &RowsFailed{Err: fmt.Errorf("%d of %s failed: see %s", summary.Failed(), plural(summary.Rows, "row"), s.reportPath)}
	case earlier != "":
		return &RowsFailed{Err: fmt.Errorf("%s: see %s", earlier, s.reportPath)}
	}
	if s.summaryErr != nil {
		// Every row is done, but an automation that reads the summary
		// file would find none: not a success. Exit 3 (stopped early,
		// resumable) because --resume is what finishes it: a resume of a
		// finished job sends nothing and writes the summary.
		hint := "rerun with --resume to write it (no row is sent again)"
		switch {
		case o.DryRun:
			hint = o.resumeHint("to write it")
		case o.Manifest == "-":
			hint = "the report holds each row's outcome (--resume needs the manifest as a file)"
		}
		return &Stopped{Err: fmt.Errorf("every row is done, but --summary-json %s was not written: %s", o.SummaryJSON, hint)}
	}
	return nil
}

// WriteSummary writes the summary to the --summary-json file, if one was
// given, and records it in the job's record (so that a resume may replace
// it).
func (s *Session) WriteSummary(summary *Summary, runErr error) error {
	path := s.opts.SummaryJSON
	if path == "" || summary == nil {
		return nil
	}
	sha, err := WriteSummaryJSON(path, summary, runErr, s.replaceSummary)
	if err != nil {
		s.summaryErr = fmt.Errorf("write --summary-json: %w", err)
		return s.summaryErr
	}
	if err := report.RecordSummary(s.reportPath, path, sha); err != nil {
		return fmt.Errorf("record --summary-json in the job record: %w", err)
	}
	return nil
}

// ReportPath is the job's report.
func (s *Session) ReportPath() string { return s.reportPath }

// SecretsPath is the job's secrets file, "" when it has none (reset, a dry
// run).
func (s *Session) SecretsPath() string { return s.secretsPath }

// SecretsEncrypted says whether the secrets file is age-encrypted.
func (s *Session) SecretsEncrypted() bool { return s.secrets != nil && s.secrets.Encrypted() }

// closeOutputs closes the report and the secrets file, if open.
func (s *Session) closeOutputs() {
	if s.rep != nil {
		s.rep.Close()
		s.rep = nil
	}
	if s.secrets != nil && !s.secretsClosed {
		s.secretsClosed = true
		s.secrets.Close()
	}
}

// Close closes the manifest and the outputs that are still open, and
// releases the outputs' locks.
func (s *Session) Close() {
	s.closeManifest()
	s.closeManifest = func() {}
	s.closeOutputs()
	s.unlock()
	s.unlock = func() {}
}

// limitOf is what the summary says the limit was taken from: the rows the
// run had to do (the manifest's, less those an earlier run finished).
func limitOf(total, resumed int64) int64 {
	if total <= 0 {
		return 0
	}
	return max(0, total-resumed)
}

// noSecrets is the secrets file of a job that generates no password.
type noSecrets struct{}

func (noSecrets) Write(int, string, string) error { return nil }

// Connection is the region and endpoint a job's client sends to, for its
// record (`cogpass verify` reads them back); endpointURL is the endpoint
// when the client names none.
func Connection(api cognito.API, endpointURL string) (region, endpoint string) {
	if c, ok := api.(interface{ Options() cip.Options }); ok {
		o := c.Options()
		region = o.Region
		if o.BaseEndpoint != nil {
			endpoint = *o.BaseEndpoint
		}
	}
	if endpoint == "" {
		endpoint = endpointURL
	}
	return region, endpoint
}
