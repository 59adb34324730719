package export

import (
	"context"
	"sync/atomic"

	"cogpass/cognito"
)

// Options configure an export.
type Options struct {
	UserPoolID string
	// Selection is what is listed (its Filter) and kept.
	Selection Selection
	// Exclusions are left out of what the selection keeps.
	Exclusions Exclusions
	// Limit, when above 0, ends the export once that many users are
	// written.
	Limit int64
	// Rate, Backoff and OnRateChange are the listing's (ListOptions).
	Rate         float64
	Backoff      cognito.Backoff
	OnRateChange func(old, new float64)
	// Progress, if set, holds the running totals while the export runs.
	Progress *Progress
}

// Progress holds an export's running totals, safe to read while it runs
// (for a progress line).
type Progress struct {
	Listed, Pages, Written, Excluded atomic.Int64
}

// Result counts an export's work.
type Result struct {
	ListStats
	Written  int64 // users written to the output
	Excluded int64 // users the selection kept and the exclusions left out
}

// CommitError is an export that was listed whole but could not be made
// visible under its name (Output.Commit failed).
type CommitError struct{ Err error }

func (e *CommitError) Error() string { return e.Err.Error() }

func (e *CommitError) Unwrap() error { return e.Err }

// Run lists the pool's users, keeps those the selection keeps and the
// exclusions do not name, and writes them to out, up to the limit. A
// listing that ends (at the pool's last page or the limit) is committed, and
// an error doing so is a *CommitError; a listing that does not is
// abandoned, and Run returns its error (a *ListError, a *WriteError, ...):
// the output never looks complete when it is not.
func Run(ctx context.Context, api UserLister, opts Options, out *Output) (Result, error) {
	p := opts.Progress
	if p == nil {
		p = &Progress{}
	}
	st, err := ListUsers(ctx, api, ListOptions{
		UserPoolID:   opts.UserPoolID,
		Filter:       opts.Selection.Filter,
		Rate:         opts.Rate,
		Backoff:      opts.Backoff,
		OnRateChange: opts.OnRateChange,
		OnPage:       func(st ListStats) { p.Pages.Store(int64(st.Pages)) },
	}, func(u User) error {
		p.Listed.Add(1)
		if !opts.Selection.Keep(u) {
			return nil
		}
		if opts.Exclusions.Has(u) {
			p.Excluded.Add(1)
			return nil
		}
		if err := out.Write(u); err != nil {
			return err
		}
		if p.Written.Add(1) == opts.Limit {
			return StopListing
		}
		return nil
	})
	res := Result{ListStats: st, Written: p.Written.Load(), Excluded: p.Excluded.Load()}
	if err != nil {
		out.Abandon()
		return res, err
	}
	if err := out.Commit(); err != nil {
		return res, &CommitError{Err: err}
	}
	return res, nil
}
