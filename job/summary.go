package job

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cogpass/report"
)

// Stats counts a job as it runs. It keeps a fixed amount of memory however
// many rows pass.
type Stats struct {
	calls     atomic.Int64
	throttled atomic.Int64
	retried   atomic.Int64
	resumed   atomic.Int64
	// A dry run's count of reset codes that would go out by e-mail, and
	// whether a pool sends them with Cognito's own sender.
	resetEmails    atomic.Int64
	cognitoDefault atomic.Bool
	// A dry run's count of users already in the target state of their
	// action (what --skip-status would spare).
	inTargetState atomic.Int64

	mu       sync.Mutex
	outcomes map[report.Outcome]int64
	codes    map[string]*CodeCount
	lat      histogram
}

func newStats() *Stats {
	return &Stats{outcomes: make(map[report.Outcome]int64), codes: make(map[string]*CodeCount)}
}

func (s *Stats) add(row report.Row) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[row.Outcome]++
	if row.ErrorCode != "" {
		c, ok := s.codes[row.ErrorCode]
		if !ok {
			c = &CodeCount{Code: row.ErrorCode, ExampleLine: row.Line, ExampleMessage: row.Message}
			s.codes[row.ErrorCode] = c
		}
		c.Count++
	}
}

func (s *Stats) observe(d time.Duration) {
	s.mu.Lock()
	s.lat.add(d)
	s.mu.Unlock()
}

// CodeCount is how many rows ended with one error code, and one of them.
type CodeCount struct {
	Code           string `json:"code"`
	Count          int64  `json:"count"`
	ExampleLine    int    `json:"example_line"`
	ExampleMessage string `json:"example_message"`
}

// Summary is the end of a job in numbers.
type Summary struct {
	Rows       int64                    `json:"rows"`
	Outcomes   map[report.Outcome]int64 `json:"outcomes"`
	ErrorCodes []CodeCount              `json:"error_codes"`
	Resumed    int64                    `json:"resumed_rows"` // passed over: an earlier run finished them
	// A dry run's forecast of the real run.
	DryRun           bool     `json:"dry_run,omitempty"`
	EstimatedSeconds float64  `json:"estimated_seconds,omitempty"` // the planned writes at the chosen rate
	ResetEmails      int64    `json:"reset_emails,omitempty"`      // reset codes that would be e-mailed
	Warnings         []string `json:"warnings,omitempty"`
	InTargetState    int64    `json:"users_in_target_state,omitempty"` // dry run: users already in the state the action leaves
	LimitReached     int64    `json:"limit_reached,omitempty"`         // --limit stopped the job after this many rows
	// LimitOf is the rows the run had to do when it started (set by the
	// caller, which knows the manifest's length; 0 when unknown).
	LimitOf   int64              `json:"limit_of,omitempty"`
	Calls     int64              `json:"calls"`
	Throttled int64              `json:"throttled_calls"`
	Retried   int64              `json:"retried_calls"`
	Elapsed   time.Duration      `json:"-"`
	ElapsedS  float64            `json:"elapsed_seconds"`
	CallsPerS float64            `json:"calls_per_second"`
	LatencyMS map[string]float64 `json:"latency_ms"`
	Workers   int                `json:"workers"`
	Extra     map[string]any     `json:"extra,omitempty"`
}

func (s *Stats) summary(elapsed time.Duration) *Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := &Summary{
		Outcomes:  make(map[report.Outcome]int64, len(s.outcomes)),
		Resumed:   s.resumed.Load(),
		Calls:     s.calls.Load(),
		Throttled: s.throttled.Load(),
		Retried:   s.retried.Load(),
		Elapsed:   elapsed,
		ElapsedS:  math.Round(elapsed.Seconds()*1000) / 1000,
		LatencyMS: map[string]float64{
			"p50": s.lat.quantile(0.50),
			"p95": s.lat.quantile(0.95),
			"p99": s.lat.quantile(0.99),
		},
	}
	for o, n := range s.outcomes {
		sum.Outcomes[o] = n
		sum.Rows += n
	}
	sum.ErrorCodes = []CodeCount{} // [] rather than null in JSON
	for _, c := range s.codes {
		sum.ErrorCodes = append(sum.ErrorCodes, *c)
	}
	sort.Slice(sum.ErrorCodes, func(i, j int) bool {
		a, b := sum.ErrorCodes[i], sum.ErrorCodes[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Code < b.Code
	})
	if elapsed > 0 {
		sum.CallsPerS = math.Round(float64(sum.Calls)/elapsed.Seconds()*10) / 10
	}
	return sum
}

// Failed is the number of rows that failed.
func (s *Summary) Failed() int64 { return s.Outcomes[report.Failed] }

// Print writes the summary as a small table for people.
func (s *Summary) Print(w io.Writer) {
	var parts []string
	for _, o := range []report.Outcome{report.Succeeded, report.Planned, report.Skipped, report.Failed} {
		if n, ok := s.Outcomes[o]; ok {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no rows")
	}
	fmt.Fprintf(w, "rows:       %d (%s)\n", s.Rows, strings.Join(parts, ", "))
	if s.DryRun {
		fmt.Fprintf(w, "forecast:   the real run would take about %s at the chosen rate\n", (time.Duration(s.EstimatedSeconds) * time.Second).Round(time.Second))
		if s.ResetEmails > 0 {
			fmt.Fprintf(w, "            %s would be e-mailed\n", plural(s.ResetEmails, "reset code"))
		}
		if s.InTargetState > 0 {
			users := fmt.Sprintf("%d users are", s.InTargetState)
			if s.InTargetState == 1 {
				users = "1 user is"
			}
			fmt.Fprintf(w, "            %s already in the target state of the action (--skip-status STATUS spares them)\n", users)
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "warning:    %s\n", warn)
		}
	}
	if s.LimitReached > 0 {
		of := ""
		if s.LimitOf > 0 {
			of = fmt.Sprintf(" of %d", s.LimitOf)
		}
		fmt.Fprintf(w, "limit reached: %d%s rows; --resume continues\n", s.LimitReached, of)
	}
	if s.Resumed > 0 {
		fmt.Fprintf(w, "resumed:    %s already done by an earlier run\n", plural(s.Resumed, "row"))
	}
	for i, c := range s.ErrorCodes {
		if i == 5 {
			more := int64(len(s.ErrorCodes) - 5)
			fmt.Fprintf(w, "            ... %d more %s\n", more, strings.TrimPrefix(plural(more, "error code"), fmt.Sprintf("%d ", more)))
			break
		}
		label := ""
		if i == 0 {
			label = "errors:"
		}
		msg := strings.TrimPrefix(c.ExampleMessage, fmt.Sprintf("line %d: ", c.ExampleLine))
		fmt.Fprintf(w, "%-11s %d %s (e.g. line %d: %s)\n", label, c.Count, c.Code, c.ExampleLine, msg)
	}
	fmt.Fprintf(w, "calls:      %d (%d throttled, %d retried after a fault), %.1f calls/s\n", s.Calls, s.Throttled, s.Retried, s.CallsPerS)
	if s.Calls > 0 {
		// An offline run makes no call: it has no latency to show.
		fmt.Fprintf(w, "latency:    p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n", s.LatencyMS["p50"], s.LatencyMS["p95"], s.LatencyMS["p99"])
	}
	fmt.Fprintf(w, "elapsed:    %s\n", s.Elapsed.Round(time.Millisecond))
}

// histogram keeps call latencies in buckets a few percent wide, so its
// quantiles are close and its size is fixed.
type histogram struct {
	counts [256]int64
	n      int64
}

// Buckets grow by 6% from 0.1 ms: bucket 255 is about 30 minutes.
const bucketBase, bucketGrowth = 0.1, 1.06

func (h *histogram) add(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	i := 0
	if ms > bucketBase {
		i = int(math.Log(ms/bucketBase)/math.Log(bucketGrowth)) + 1
	}
	h.counts[min(i, len(h.counts)-1)]++
	h.n++
}

// quantile returns the upper edge of the bucket holding the q-quantile, in
// milliseconds.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return math.Round(bucketBase*math.Pow(bucketGrowth, float64(i))*10) / 10
		}
	}
	return 0
}

// cognitoDefaultDailyEmails is what Cognito's own e-mail sender delivers a
// day, per account and region; a pool with a high volume needs SES
// (EmailSendingAccount DEVELOPER).
const cognitoDefaultDailyEmails = 50

// forecast adds a dry run's view of the real run: its length at the chosen
// rate, and the reset codes it would e-mail.
func (s *Summary) forecast(r *runner) {
	s.DryRun = true
	writes := s.Outcomes[report.Planned]
	if r.cfg.Rate > 0 {
		s.EstimatedSeconds = math.Ceil(float64(writes) / r.cfg.Rate)
	}
	s.ResetEmails = r.stats.resetEmails.Load()
	if r.stats.cognitoDefault.Load() && s.ResetEmails > cognitoDefaultDailyEmails {
		s.Warnings = append(s.Warnings, fmt.Sprintf(
			"the pool sends e-mail with Cognito's default sender, which delivers %d messages a day; %d reset codes would be e-mailed: configure SES (EmailSendingAccount DEVELOPER) or spread the job over days",
			cognitoDefaultDailyEmails, s.ResetEmails))
	}
}

// plural is "1 row", "2 rows".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
