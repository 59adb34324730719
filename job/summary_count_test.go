package job

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/report"
)

// fullReport takes n rows, then fails every write as a full disk does.
type fullReport struct {
	mu   sync.Mutex
	n    int
	rows []report.Row
}

func (f *fullReport) Write(r report.Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rows) >= f.n {
		return fmt.Errorf("write report: %w", syscall.ENOSPC)
	}
	f.rows = append(f.rows, r)
	return nil
}

// After the report stops taking rows, the summary counts the rows it holds,
// not the rows that were done: the summary and the report never disagree.
func TestSummaryCountsWhatReachedTheReport(t *testing.T) {
	api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error { return nil }}
	rep := &fullReport{n: 37}
	sum, err := Run(t.Context(), baseConfig(Set), api, rowsOf(t, manifest(300)), rep, &memSecrets{})
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run: %v, want the report's write error", err)
	}
	if api.writes.Load() <= int64(rep.n) {
		t.Fatalf("only %d writes: the test needs rows done after the report failed", api.writes.Load())
	}
	if got := sum.Outcomes[report.Succeeded]; got != int64(len(rep.rows)) || sum.Rows != int64(len(rep.rows)) {
		t.Errorf("summary: %d succeeded of %d rows; the report holds %d rows", got, sum.Rows, len(rep.rows))
	}
}
