package job

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"cogpass/cognito"
	"cogpass/input"
)

// Options are a job as the command line gives it: the flags of set, reset
// and change, bound straight into these fields. Open checks them, names the
// outputs and reads what the files say; Config is what the runner gets.
type Options struct {
	Command    Command
	UserPoolID string // default pool; a row's user_pool_id overrides it
	// Manifest is the manifest's path, or "-" for Stdin; ManifestFormat is
	// csv or jsonl ("" by the file's extension).
	Manifest       string
	ManifestFormat string
	Permanent      bool     // set: permanent passwords
	ClientMetadata []string // reset: KEY=VALUE for the pool's Lambda triggers

	// Report and Secrets are the outputs ("" names them after the
	// manifest); SummaryJSON, when set, is a new file for the summary.
	Report      string
	Secrets     string
	SummaryJSON string
	// Recipients and RecipientsFile are age recipients the secrets file is
	// encrypted to; SecretsIdentity, on a resume of an encrypted job, is the
	// identity file that reads the passwords the stopped run left pending.
	Recipients      []string
	RecipientsFile  string
	SecretsIdentity string

	Rate        float64 // write calls per second, ceiling
	ReadRate    float64 // AdminGetUser look-ups per second, ceiling
	Concurrency int     // 0: chosen from the rate and the latency
	Backoff     cognito.Backoff

	DryRun     bool
	Offline    bool   // with DryRun: no call at all
	PolicyFile string // password policy JSON instead of the pool's

	PasswordLength  int
	PasswordSymbols *string // nil: every symbol Cognito accepts

	Resume      bool   // continue the job of an existing report
	RetryFailed bool   // with Resume: send failed rows again
	SkipInvalid bool   // send the valid rows when the preflight finds invalid ones
	MaxFailures string // "N" or "N%": stop once that many rows failed

	IncludeFederated bool
	// SkipStatus is STATUS[,STATUS]: users Cognito shows in one of these
	// statuses are skipped. Limit stops after that many rows to send (a
	// canary); SignOut signs each user out after a successful write.
	SkipStatus string
	Limit      int64
	SignOut    bool

	StopGrace time.Duration // how long calls in flight may finish on a signal

	// Endpoint is the --endpoint-url the job's record names when the
	// client says none.
	Endpoint string
	// Stdin is read for a Manifest of "-".
	Stdin  io.Reader
	Logger *slog.Logger
}

// Check refuses options that do not go together, before anything is read;
// the errors are usage errors.
func (o *Options) Check() error {
	switch {
	case o.Manifest == "":
		return Usagef("--manifest is required")
	case o.Offline && !o.DryRun:
		return Usagef("--offline goes with --dry-run")
	case o.Rate <= 0:
		return Usagef("--rate must be above 0")
	case o.ReadRate < 0:
		return Usagef("--read-rate must not be negative")
	case o.Concurrency < 0:
		return Usagef("--concurrency must be 0 (automatic) or more")
	case o.Backoff.MaxAttempts < 1:
		return Usagef("--max-attempts must be 1 or more")
	case o.MaxFailures != "":
		if _, err := ParseMaxFailures(o.MaxFailures, 1); err != nil {
			return err
		}
	}
	switch {
	case o.RetryFailed && !o.Resume:
		return Usagef("--retry-failed goes with --resume")
	case o.SecretsIdentity != "" && !o.Resume:
		return Usagef("--secrets-identity goes with --resume")
	case o.Resume && o.DryRun:
		return Usagef("--resume does not go with --dry-run: a dry run is quick to run again")
	case o.Manifest == "-" && o.Report == "":
		return Usagef("--report is required when the manifest is read from stdin")
	case o.Manifest == "-" && o.Resume:
		return Usagef("--resume needs the manifest as a file: a manifest on stdin cannot be checked against the report")
	case o.Manifest == "-" && o.Secrets == "" && !o.DryRun && o.Command.traits().password:
		// A command that sends no password (reset) generates none, so it
		// has no secrets file (and no --secrets flag).
		return Usagef("--secrets is required when the manifest is read from stdin")
	}
	return nil
}

// ParseMaxFailures reads --max-failures: N rows, or N% of rows (known from
// the preflight; without one, of no use).
func ParseMaxFailures(s string, rows int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || !(v > 0 && v <= 100) { // NaN is neither
			return 0, Usagef("--max-failures %q: want a count or a percentage above 0 and up to 100", s)
		}
		if rows == 0 {
			return 0, Usagef("--max-failures %s: a percentage needs the row count, which a manifest on stdin or a dry run does not give: give a count", s)
		}
		return max(1, int64(float64(rows)*v/100)), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, Usagef("--max-failures %q: want a count of 1 or more, or a percentage like 5%%", s)
	}
	return n, nil
}

// checkIncident checks the incident options (--skip-status, --limit) and
// returns the statuses to skip.
func (o *Options) checkIncident() ([]string, error) {
	if o.Limit < 0 {
		return nil, Usagef("--limit must be 0 (no limit) or more")
	}
	if o.SkipStatus == "" {
		return nil, nil
	}
	if o.Command == Change {
		// ChangePassword authorises with the user's access token; GetUser,
		// the look-up a token allows, returns no UserStatus, and a user with
		// a valid access token has signed in, so is CONFIRMED anyway.
		// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetUser.html
		return nil, Usagef("--skip-status does not go with change: ChangePassword works from each user's access token, and GetUser, the look-up a token allows, does not return the user's status")
	}
	return parseStatuses(o.SkipStatus)
}

// parseStatuses reads STATUS[,STATUS] against the SDK's UserStatusType
// values; a misspelt one is a usage error with the closest value.
func parseStatuses(list string) ([]string, error) {
	known := cognito.UserStatuses()
	slices.Sort(known)
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(known, s) {
			if up := strings.ToUpper(s); slices.Contains(known, up) {
				return nil, Usagef("--skip-status %q: statuses are upper case: did you mean %s?", s, up)
			}
			if near := input.Nearest(s, known); near != "" {
				return nil, Usagef("--skip-status %q: not a user status: did you mean %s?", s, near)
			}
			return nil, Usagef("--skip-status %q: not a user status; want one of %s", s, strings.Join(known, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, Usagef("--skip-status: give one or more statuses, such as RESET_REQUIRED")
	}
	return out, nil
}

// params are the settings a resumed run must share with the first: which
// users are skipped, and whether they are signed out. --limit is not one:
// each run may take another canary.
func (o *Options) params(meta map[string]string, statuses []string) map[string]string {
	p := map[string]string{
		"password_length":   strconv.Itoa(o.PasswordLength),
		"include_federated": strconv.FormatBool(o.IncludeFederated),
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
	if len(statuses) > 0 {
		s := slices.Clone(statuses)
		slices.Sort(s)
		p["skip_status"] = strings.Join(s, ",")
	}
	if o.SignOut {
		p["sign_out"] = strconv.FormatBool(o.SignOut)
	}
	return p
}

// resumeHint says how to go on after a stop, offering --resume only where
// the mode accepts it: not to a dry run, nor to a manifest on stdin.
func (o *Options) resumeHint(when string) string {
	switch {
	case o.DryRun:
		return "run the dry run again " + when + " (with a new --report, or after moving the report away)"
	case o.Manifest == "-":
		return "the report says which rows were done: send the others " + when + " (--resume needs the manifest as a file)"
	}
	return "rerun with --resume " + when
}

// existsHint says what to do about an output left by an earlier job,
// offering --resume only where the command and mode accept it.
func (o *Options) existsHint(secrets bool) string {
	flag := "--report"
	if secrets {
		flag = "--secrets"
	}
	if o.DryRun || o.Manifest == "-" {
		return "move it away, or pass " + flag + " NEWFILE"
	}
	return "pass --resume to continue its job, or move it away"
}

// describe is what a job of cmd does, for the confirmation prompt.
func describe(cmd Command, permanent bool) string {
	if op, ok := operations[cmd]; ok {
		return op.describe(permanent)
	}
	return ""
}
