// Package job runs a bulk password job: it takes manifest rows, paces the
// calls on the quota category of the operation, retries throttles and
// transient faults itself, and turns every row into one report row.
package job

import (
	"fmt"
	"log/slog"
	"time"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/input"
	"cogpass/report"
)

// Command is the kind of job.
type Command string

// The commands are in their operations' files: Set (set.go), Reset
// (reset.go), Change (change.go).

// Operation is the Cognito API operation the command writes with.
func (c Command) Operation() string {
	if op, ok := operations[c]; ok {
		return op.Operation()
	}
	return ""
}

// Codes cogpass puts in a report row's error_code when the row never reached
// Cognito, or when the job stopped before it could be sent.
const (
	CodeInvalidManifestRow = "InvalidManifestRow"
	CodeDuplicateUser      = "DuplicateUser"
	CodePasswordPolicy     = "InvalidPasswordException"
	CodeFederatedUser      = "FederatedUser"
)

// Rows is a source of manifest rows; *input.Reader is one.
type Rows interface {
	Next() (input.Row, error)
}

// ReportWriter takes one report row per manifest row; *report.Writer is one.
type ReportWriter interface {
	Write(report.Row) error
}

// SecretsWriter takes each generated password; *report.Secrets is one.
type SecretsWriter interface {
	Write(line int, username, password string) error
}

// Config is what one job does and how fast.
type Config struct {
	Command        Command
	UserPoolID     string // default pool; a row's user_pool_id overrides it
	Permanent      bool
	ClientMetadata map[string]string

	// Rate is the ceiling in write calls per second; the pacer stays under
	// it and finds the real quota below it.
	Rate float64
	// Concurrency is the number of workers; 0 chooses it from the rate and
	// the measured latency.
	Concurrency int
	Backoff     cognito.Backoff
	// Region is the region the client sends to ("" when unknown). A row
	// whose user_pool_id starts with another region is a bad row: a pool
	// answers only in its own region (see input.PoolRegion).
	Region string

	DryRun  bool
	Offline bool // with DryRun: no call at all
	// Policy, when set, is used instead of DescribeUserPool (offline
	// checks, or a policy file).
	Policy         *policy.Policy
	PasswordLength int
	// PasswordSymbols, when set, restricts generated passwords' symbols
	// to this set (--password-symbols); nil draws from policy.Symbols.
	PasswordSymbols *string
	// CaseSensitive, when set, is the pools' username case rule instead of
	// what DescribeUserPool says (an offline check reads it from the policy
	// file). Unset with no pool to ask, usernames are case-sensitive, the
	// API's default.
	CaseSensitive *bool

	// Plan is the preflight's finding; rows it names as duplicates fail
	// without a call.
	Plan *Plan
	// Skip tells the lines that an earlier run already finished (resume).
	Skip func(line int) bool
	// InFlight, on a resume, tells the lines an earlier run may have sent
	// without recording their outcome (no final report row): a refusal that
	// only makes sense if that write was applied settles them (see settle).
	InFlight func(line int) bool
	// Pending, on a resume, gives the password an earlier run recorded as
	// pending for a line (written before its call, outcome unknown); the row
	// is sent again with it.
	Pending func(line int) (string, bool)
	// MaxFailures stops the job once that many rows have failed (0: never).
	MaxFailures int64
	// IncludeFederated sends rows for EXTERNAL_PROVIDER users too.
	IncludeFederated bool
	// CheckFederated looks every user up before writing to skip federated
	// users. It costs one read per row on the UserRead quota, which is
	// separate from (and several times larger than) the write quotas.
	CheckFederated bool
	// ReadRate is the ceiling in AdminGetUser look-ups per second (a dry
	// run's, and the federated-user check's), on the UserRead quota; 0 means
	// the default share of that quota. A write job that looks users up does
	// one look-up per row, so it goes no faster than ReadRate.
	ReadRate float64

	// SkipStatus lists user statuses (Cognito's UserStatusType values)
	// whose rows are skipped: the job looks every user up first and writes
	// only the others (--skip-status). Not for change, which has no look-up.
	SkipStatus []string
	// Limit stops the job, as a finished one that --resume continues, once
	// that many rows were taken for sending (0: no limit).
	Limit int64
	// SignOut calls AdminUserGlobalSignOut for each user after a
	// successful write (set and reset), which revokes the user's refresh
	// tokens and access tokens.
	SignOut bool
	// WriteDone tells the lines whose write an earlier run made but whose
	// sign-out failed (resume): for them only the sign-out is sent.
	WriteDone func(line int) bool

	// StopGrace bounds how long calls in flight may run once the job is
	// told to stop.
	StopGrace time.Duration
	// NetworkWarn is how long calls may wait or fail with no answer from
	// the endpoint before the job says so (default 5 s); NetworkDown, how
	// long before it stops, resumable, with code NetworkDown (default 30 s).
	NetworkWarn, NetworkDown time.Duration

	Logger *slog.Logger
	// Progress, when set, is told of every finished row, with the job's
	// counters at that moment. It is called from many workers at once.
	Progress func(report.Row, Counts)
	// OnInterrupt, when set, is told at once when the job's context ends (a
	// signal): how many calls are in flight, which may take up to StopGrace
	// to finish.
	OnInterrupt func(inFlight int64, grace time.Duration)
}

// Counts are a running job's counters.
type Counts struct {
	Calls     int64   // API calls made, retries included
	Throttled int64   // calls answered TooManyRequestsException
	Rate      float64 // the pacer's current rate for the write calls
}

// Fatal is an error that stopped the job: the pool is unknown, the
// credentials are rejected, or the job was interrupted. Rows that were not
// finished have no report row and are sent again by a resumed run.
type Fatal struct {
	Line int    // the row that met it, 0 when none
	Code string // the API's error code, when it came from the API
	Err  error

	// unreached: the job's pool does not exist (ResourceNotFoundException)
	// and no call of the job reached a pool (breakers.go, noteReached).
	unreached bool
}

func (f *Fatal) Error() string {
	if f.Line > 0 {
		return fmt.Sprintf("job stopped at manifest line %d: %v", f.Line, f.Err)
	}
	return "job stopped: " + f.Err.Error()
}

func (f *Fatal) Unwrap() error { return f.Err }

func (c Config) validate() error {
	op, ok := operations[c.Command]
	if !ok {
		return fmt.Errorf("unknown command %q", c.Command)
	}
	if c.Rate <= 0 {
		return fmt.Errorf("rate must be above 0, got %v", c.Rate)
	}
	if c.ReadRate < 0 {
		return fmt.Errorf("read rate must be 0 (default) or more, got %v", c.ReadRate)
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("concurrency must be 0 (automatic) or more, got %d", c.Concurrency)
	}
	if c.Offline && !c.DryRun {
		return fmt.Errorf("--offline needs --dry-run")
	}
	if !op.traits().admin && (len(c.SkipStatus) > 0 || c.SignOut) {
		// An access token names the user: nothing to look up or sign out.
		return fmt.Errorf("%s takes neither a status to skip nor a sign-out", c.Command)
	}
	if c.Limit < 0 {
		return fmt.Errorf("limit must be 0 (none) or more, got %d", c.Limit)
	}
	return nil
}
