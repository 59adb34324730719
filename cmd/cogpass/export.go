package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/export"
	"cogpass/input"
	"cogpass/report"
)

const exportExample = `Export every user whose temporary password has expired, leaving out the
break-glass admins, then check what giving them new temporary passwords would do:

  cogpass export --user-pool-id us-east-1_AbCdEf123 --region us-east-1 \
    --expired-temporary --exclude admins.csv --output expired.csv
  cogpass set --user-pool-id us-east-1_AbCdEf123 --region us-east-1 --manifest expired.csv --dry-run
`

// exportColumns is the export's header. username comes first so the file is
// a manifest as it stands; set and reset ignore the rest (with a warning).
var exportColumns = []string{"username", "status", "enabled", "email", "email_verified", "phone_number_verified", "created", "last_modified"}

// userStatuses are Cognito's UserStatusType values, which --status accepts.
var userStatuses = []string{"UNCONFIRMED", "CONFIRMED", "ARCHIVED", "COMPROMISED", "UNKNOWN", "RESET_REQUIRED", "FORCE_CHANGE_PASSWORD", "EXTERNAL_PROVIDER"}

const statusForceChange = "FORCE_CHANGE_PASSWORD"

// defaultTemporaryValidityDays is Cognito's default TemporaryPasswordValidityDays.
const defaultTemporaryValidityDays = 7

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
	maxAttempts      int
	backoffBase      time.Duration
	backoffCap       time.Duration
	logFormat        string
	quiet            bool
	progressInterval time.Duration
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
	def := quota.DefaultRPS[op.Category] * quota.DefaultShare
	fs.Float64Var(&f.rate, "rate", def, fmt.Sprintf("ceiling on ListUsers calls per second (60 users each); the default is %.0f%% of the %s quota's default %.0f/s", quota.DefaultShare*100, op.Category, quota.DefaultRPS[op.Category]))
	fs.IntVar(&f.maxAttempts, "max-attempts", cognito.DefaultBackoff.MaxAttempts, "attempts per page before a throttled or faulted listing fails")
	fs.DurationVar(&f.backoffBase, "backoff-base", cognito.DefaultBackoff.Base, "first retry delay (exponential, full jitter)")
	fs.DurationVar(&f.backoffCap, "backoff-cap", cognito.DefaultBackoff.Cap, "longest retry delay")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json (slog) on stderr")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines; errors and the final line only")
	fs.DurationVar(&f.progressInterval, "progress-interval", 5*time.Second, "how often a progress line is logged during a long listing")
}

// selection is what an export keeps of the listing.
type selection struct {
	// serverFilter goes to ListUsers (one expression: Cognito takes no more).
	serverFilter string
	// status, when set, is checked here too: it is the whole selection
	// when --filter took the server's one slot, and a cheap second check
	// otherwise.
	status string
	// expiredBefore, when set, keeps FORCE_CHANGE_PASSWORD users last
	// modified before it.
	expiredBefore time.Time
}

// buildSelection turns --filter, --status and --expired-temporary into the
// server's filter and the checks made here. ListUsers takes one filter
// expression, so when --filter is given it goes to the server and the
// status is checked on what it lists: the result is the intersection the
// operator asked for, at the cost of listing everything --filter matches.
func buildSelection(filter, status string, expiredTemporary bool) (selection, error) {
	var sel selection
	filter = strings.TrimSpace(filter)
	if status != "" {
		s := strings.ToUpper(strings.TrimSpace(status))
		if !slices.Contains(userStatuses, s) {
			return sel, unknownValue("export", "status", status, userStatuses)
		}
		sel.status = s
	}
	if expiredTemporary {
		if sel.status != "" && sel.status != statusForceChange {
			return sel, usageError("--expired-temporary selects %s users; --status %s contradicts it", statusForceChange, sel.status)
		}
		sel.status = statusForceChange
	}
	switch {
	case filter != "":
		sel.serverFilter = filter
	case sel.status != "":
		// The status is one of Cognito's names: nothing to escape.
		sel.serverFilter = `cognito:user_status = "` + sel.status + `"`
	}
	return sel, nil
}

func (s selection) keep(u export.User) bool {
	if s.status != "" && !strings.EqualFold(u.Status, s.status) {
		return false
	}
	if !s.expiredBefore.IsZero() && !u.LastModified.Before(s.expiredBefore) {
		return false
	}
	return true
}

// exclusions is the --exclude list, in memory: a set of lower-cased names,
// a few dozen bytes each, which is fine for the thousands of names such a
// list holds (a million would take some 100 MB).
type exclusions map[string]struct{}

func loadExclusions(path string) (exclusions, error) {
	format, err := input.FormatFor(path, "")
	if err != nil {
		return nil, usageError("--exclude: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("--exclude: %v", err)
	}
	defer f.Close()
	rows, err := input.NewReader(bufio.NewReader(f), format, input.Options{})
	if err != nil {
		return nil, usageError("--exclude %s: %v", path, err)
	}
	ex := exclusions{}
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return ex, nil
		}
		if err != nil {
			return nil, usageError("--exclude %s: %v", path, err)
		}
		// A name that cannot be read might be the admin the list is there
		// to protect: refuse rather than export without it.
		if row.Err != nil {
			return nil, usageError("--exclude %s line %d: %v", path, row.Line, row.Err)
		}
		ex[strings.ToLower(row.Username)] = struct{}{}
	}
}

// has matches case-insensitively, on the username or the email: whatever
// the pool's case sensitivity or whether the list names users by address,
// a listed user is left out (erring towards leaving out too many).
func (ex exclusions) has(u export.User) bool {
	if len(ex) == 0 {
		return false
	}
	if _, ok := ex[strings.ToLower(u.Username)]; ok {
		return true
	}
	if u.Email != "" {
		_, ok := ex[strings.ToLower(u.Email)]
		return ok
	}
	return false
}

// userWriter writes exported users in one format.
type userWriter interface {
	write(export.User) error
	flush() error
}

func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type csvUsers struct {
	w   *csv.Writer
	rec []string
}

func newCSVUsers(w io.Writer) (*csvUsers, error) {
	c := &csvUsers{w: csv.NewWriter(w), rec: make([]string, len(exportColumns))}
	return c, c.w.Write(exportColumns)
}

func (c *csvUsers) write(u export.User) error {
	// Cells from the pool are neutralised against spreadsheet formula
	// injection; the manifest reader restores usernames (report.Restore).
	c.rec[0], c.rec[1], c.rec[2], c.rec[3] = report.Neutralise(u.Username), report.Neutralise(u.Status), strconv.FormatBool(u.Enabled), report.Neutralise(u.Email)
	c.rec[4], c.rec[5] = strconv.FormatBool(u.EmailVerified), strconv.FormatBool(u.PhoneNumberVerified)
	c.rec[6], c.rec[7] = exportTime(u.Created), exportTime(u.LastModified)
	return c.w.Write(c.rec)
}

func (c *csvUsers) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// exportRecord is a JSON Lines row; its keys are the CSV's columns.
type exportRecord struct {
	Username            string `json:"username"`
	Status              string `json:"status"`
	Enabled             bool   `json:"enabled"`
	Email               string `json:"email"`
	EmailVerified       bool   `json:"email_verified"`
	PhoneNumberVerified bool   `json:"phone_number_verified"`
	Created             string `json:"created"`
	LastModified        string `json:"last_modified"`
}

type jsonlUsers struct{ enc *json.Encoder }

func newJSONLUsers(w io.Writer) *jsonlUsers {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonlUsers{enc: enc}
}

func (j *jsonlUsers) write(u export.User) error {
	return j.enc.Encode(exportRecord{u.Username, u.Status, u.Enabled, u.Email, u.EmailVerified, u.PhoneNumberVerified,
		exportTime(u.Created), exportTime(u.LastModified)})
}

func (j *jsonlUsers) flush() error { return nil }

// exportOutput is where the users go: stdout, or FILE.partial renamed to
// FILE once the listing is complete, so that a file named FILE is always a
// whole export.
type exportOutput struct {
	path, partial string
	file          *os.File
	buf           *bufio.Writer
	users         userWriter
}

func openExportOutput(path, format string, stdout io.Writer) (*exportOutput, error) {
	o := &exportOutput{path: path}
	var fmtOf input.Format = input.FormatCSV
	var w io.Writer = stdout
	if path != "" && path != "-" {
		var err error
		if fmtOf, err = input.FormatFor(path, format); err != nil {
			return nil, usageError("--output: %v", err)
		}
		// Refused, as reports are: an export is evidence of what was in
		// the pool at a time, and a rerun must not silently replace it.
		if _, err := os.Lstat(path); err == nil {
			return nil, usageError("--output %s already exists: move it away or choose another name", path)
		} else if !errors.Is(err, iofs.ErrNotExist) {
			return nil, usageError("--output: %v", err)
		}
		o.partial = path + ".partial"
		// Mode 0600: the export holds e-mail addresses. A .partial left by
		// an earlier cut listing is ours to overwrite.
		if o.file, err = os.OpenFile(o.partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return nil, usageError("--output: %v", err)
		}
		w = o.file
	} else if format != "" {
		var err error
		if fmtOf, err = input.FormatFor("-", format); err != nil {
			return nil, usageError("--output-format: %v", err)
		}
	}
	o.buf = bufio.NewWriterSize(w, 64<<10)
	if fmtOf == input.FormatJSONL {
		o.users = newJSONLUsers(o.buf)
		return o, nil
	}
	users, err := newCSVUsers(o.buf)
	if err != nil {
		o.abandon()
		return nil, &exitError{code: exitStoppedEarly, err: fmt.Errorf("write %s: %w", o.name(), err)}
	}
	o.users = users
	return o, nil
}

func (o *exportOutput) name() string {
	if o.partial != "" {
		return o.partial
	}
	return "standard output"
}

// commit makes the export visible under its name: flushed, synced, renamed.
func (o *exportOutput) commit() error {
	err := o.users.flush()
	if err == nil {
		err = o.buf.Flush()
	}
	if o.file == nil {
		return err
	}
	if err == nil {
		err = o.file.Sync()
	}
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.partial, o.path)
	}
	return err
}

// abandon ends an export that is not complete. A file keeps what was
// written, for a look at where it stopped, under its .partial name. On
// standard output nothing more is sent: what a pipe already took cannot be
// taken back (the exit code says so), but it gets no more of a bad export.
func (o *exportOutput) abandon() {
	if o.file == nil {
		return
	}
	o.users.flush()
	o.buf.Flush()
	o.file.Close()
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f exportFlags
	fs := newFlagSet("export", exportExample, stderr)
	f.register(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
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
	case f.maxAttempts < 1:
		return usageError("--max-attempts must be 1 or more")
	}
	if err := f.aws.usePoolRegion("--user-pool-id", f.userPoolID); err != nil {
		return err
	}
	sel, err := buildSelection(f.filter, f.status, f.expiredTemporary)
	if err != nil {
		return err
	}
	var ex exclusions
	if f.exclude != "" {
		if ex, err = loadExclusions(f.exclude); err != nil {
			return err
		}
	}
	backoff := cognito.Backoff{Base: f.backoffBase, Cap: f.backoffCap, MaxAttempts: f.maxAttempts}
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
		days, source := temporaryValidityDays(pool)
		// One cutoff for the whole listing, taken before it starts: a user
		// who expires while a long listing runs is left for the next one.
		sel.expiredBefore = time.Now().Add(-time.Duration(days) * 24 * time.Hour)
		log.Info("selecting expired temporary passwords", "validity_days", days, "from", source,
			"last_modified_before", sel.expiredBefore.UTC().Format(time.RFC3339))
	}

	out, err := openExportOutput(f.output, f.outputFormat, stdout)
	if err != nil {
		return err
	}

	var listed, written, excluded, pages atomic.Int64
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
				log.Info("export progress", "listed", listed.Load(), "pages", pages.Load(), "written", written.Load(),
					"excluded", excluded.Load(), "elapsed", time.Since(start).Round(time.Second).String())
			}
		}
	}()

	st, listErr := export.ListUsers(ctx, client, export.ListOptions{
		UserPoolID: f.userPoolID,
		Filter:     sel.serverFilter,
		Rate:       f.rate,
		Backoff:    backoff,
		OnRateChange: func(old, new float64) {
			log.Info("rate change", "operation", "ListUsers", "from", round1(old), "to", round1(new))
		},
		OnPage: func(st export.ListStats) { pages.Store(int64(st.Pages)) },
	}, func(u export.User) error {
		listed.Add(1)
		if !sel.keep(u) {
			return nil
		}
		if ex.has(u) {
			excluded.Add(1)
			return nil
		}
		if err := out.users.write(u); err != nil {
			return fmt.Errorf("write %s: %w", out.name(), err)
		}
		if written.Add(1) == f.limit {
			return export.StopListing
		}
		return nil
	})
	close(progressDone)
	<-progressStopped

	if listErr != nil {
		out.abandon()
		return exportFailed(ctx, listErr, out, sel, written.Load())
	}
	if err := out.commit(); err != nil {
		return &exitError{code: exitStoppedEarly, err: fmt.Errorf("write %s: %w; the export is incomplete", out.name(), err)}
	}
	dest := "standard output"
	if out.partial != "" {
		dest = out.path
	}
	fmt.Fprintf(stderr, "export: %s written to %s (%d listed in %s, %d excluded, %s, %d throttled, %s)\n",
		plural(int(written.Load()), "user"), dest, st.Users, plural(st.Pages, "page"), excluded.Load(), plural(int(st.Calls), "call"), st.Throttled, time.Since(start).Round(time.Millisecond))
	if len(ex) > 0 && excluded.Load() == 0 {
		fmt.Fprintf(stderr, "export: note: no listed user matched a name in %s\n", f.exclude)
	}
	return nil
}

// exportFailed turns a listing that stopped into the command's error: where
// it stopped, and that the output is not the whole selection.
func exportFailed(ctx context.Context, err error, out *exportOutput, sel selection, written int64) error {
	incomplete := "what reached standard output is incomplete: discard it"
	if out.partial != "" {
		incomplete = fmt.Sprintf("the %d users written so far are in %s, which is incomplete; %s was not written", written, out.partial, out.path)
	}
	var le *export.ListError
	if !errors.As(err, &le) {
		return &exitError{code: exitStoppedEarly, err: fmt.Errorf("%w\n%s", err, incomplete)}
	}
	if ctx.Err() != nil {
		return &exitError{code: exitStoppedEarly, err: fmt.Errorf("interrupted at page %d, after %d users listed\n%s", le.Page, le.Users, incomplete)}
	}
	// Cognito parses the filter when it reads the first page.
	if le.Page == 1 && le.Code == "InvalidParameterException" && sel.serverFilter != "" {
		return usageError("--filter %q: Cognito refused it: %s", sel.serverFilter, errMessage(le.Err))
	}
	return &exitError{code: exitStoppedEarly, err: hinted(fmt.Errorf("%w\n%s", err, incomplete), le.Code)}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
