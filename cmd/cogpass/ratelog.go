package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// rateChangeLimiter keeps "rate change" lines from flooding a terminal:
// while the pacing finds its rate it may change it every few seconds, and
// each line scrolls the progress bar. At most one a minute stays at its
// level; the others go out at debug level (dropped unless debug is on).
type rateChangeLimiter struct {
	slog.Handler
	every time.Duration
	now   func() time.Time
	state *rateChangeState
}

type rateChangeState struct {
	mu   sync.Mutex
	last time.Time
}

func limitRateChanges(h slog.Handler, every time.Duration) slog.Handler {
	return &rateChangeLimiter{Handler: h, every: every, now: time.Now, state: &rateChangeState{}}
}

func (l *rateChangeLimiter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "rate change" && r.Level > slog.LevelDebug {
		l.state.mu.Lock()
		now := l.now()
		quiet := !l.state.last.IsZero() && now.Sub(l.state.last) < l.every
		if !quiet {
			l.state.last = now
		}
		l.state.mu.Unlock()
		if quiet {
			if !l.Handler.Enabled(ctx, slog.LevelDebug) {
				return nil
			}
			r = r.Clone()
			r.Level = slog.LevelDebug
		}
	}
	return l.Handler.Handle(ctx, r)
}

func (l *rateChangeLimiter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &rateChangeLimiter{Handler: l.Handler.WithAttrs(attrs), every: l.every, now: l.now, state: l.state}
}

func (l *rateChangeLimiter) WithGroup(name string) slog.Handler {
	return &rateChangeLimiter{Handler: l.Handler.WithGroup(name), every: l.every, now: l.now, state: l.state}
}
