package job

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/input"
	"cogpass/report"
)

// failingRows gives n rows, then a read error.
type failingRows struct {
	n, line int
	err     error
}

func (f *failingRows) Next() (input.Row, error) {
	if f.line >= f.n {
		return input.Row{}, f.err
	}
	f.line++
	return input.Row{Line: f.line + 1, Username: "user" + strings.Repeat("x", f.line)}, nil
}

// A manifest that cannot be read on stops the job with the read error, but
// only once the rows already read were sent: each of them has its report
// row, as before the errors went through the runner's group.
func TestManifestReadErrorSendsTheRowsReadThenStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error { return nil }}
		cfg := baseConfig(Reset)
		cfg.Concurrency = 2
		readErr := errors.New("disk on fire")
		rep := &memReport{}
		_, err := Run(t.Context(), cfg, api, &failingRows{n: 20, err: readErr}, rep, &memSecrets{})
		var fatal *Fatal
		if !errors.As(err, &fatal) || !errors.Is(err, readErr) {
			t.Fatalf("err = %v, want a *Fatal wrapping the read error", err)
		}
		if n := len(rep.byLine()); n != 20 {
			t.Errorf("%d report rows, want the 20 rows read", n)
		}
	})
}

// failingReport fails every write.
type failingReport struct{ err error }

func (f failingReport) Write(report.Row) error { return f.err }

// A report that cannot be written outranks what stopped the job first:
// here the row is the one --max-failures allows no more of, and its report
// row cannot be written; the job says the report is incomplete.
func TestReportWriteFailureOutranksTheFirstStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &fakeAPI{t: t, reset: func(*cip.AdminResetUserPasswordInput) error {
			return apiErr("UserNotFoundException", "User does not exist.")
		}}
		cfg := baseConfig(Reset)
		cfg.Concurrency, cfg.MaxFailures = 1, 1
		full := errors.New("no space left on device")
		_, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(10)), failingReport{full}, &memSecrets{})
		var fatal *Fatal
		if !errors.As(err, &fatal) || !errors.Is(err, full) || fatal.Code == "MaxFailures" {
			t.Fatalf("err = %v, want the report's write failure", err)
		}
		if got, want := err.Error(), "job stopped: write report: no space left on device"; got != want {
			t.Errorf("err = %q, want %q", got, want)
		}
		if n := api.writes.Load(); n != 1 {
			t.Errorf("%d resets sent, want 1: the job stops at the first row", n)
		}
	})
}

// A look-up job (verify) stops at the first job-fatal answer, which its
// worker returns to the group; the rows after it are not looked up.
func TestVerifyStopsAtAFatalAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var gets int
		api := &fakeAPI{t: t, get: func(*cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
			gets++
			return nil, apiErr("ExpiredTokenException", "The security token included in the request is expired")
		}}
		cfg := baseConfig(Reset)
		cfg.Concurrency = 1
		rows := make([]VerifyRow, 50)
		for i := range rows {
			rows[i] = VerifyRow{Line: i + 2, Username: "u", Action: ActionReset}
		}
		var results int
		err := Verify(t.Context(), cfg, api, "us-east-1_Test", rows, func(VerifyResult) error { results++; return nil })
		var fatal *Fatal
		if !errors.As(err, &fatal) || fatal.Code != "ExpiredTokenException" || fatal.Line != 2 {
			t.Fatalf("err = %v, want the ExpiredTokenException of line 2", err)
		}
		if gets != 1 || results != 0 {
			t.Errorf("%d look-ups and %d results, want 1 and 0", gets, results)
		}
	})
}
