package main

import (
	"flag"
	"time"

	"cogpass/cognito"
)

// Flag groups several commands share, each registered by one method so
// that a flag means the same, with the same default, wherever it appears.
// A command embeds the group in its flags struct. (The AWS connection flags
// are awsFlags, in aws.go.)

// retryFlags are the retries of a command that calls Cognito: the attempts
// a call gets, and the backoff between them.
type retryFlags struct {
	maxAttempts int
	backoffBase time.Duration
	backoffCap  time.Duration
}

// register adds --max-attempts, whose usage says what gives up after the
// last attempt (a row, a listing), --backoff-base and --backoff-cap.
func (r *retryFlags) register(fs *flag.FlagSet, attemptsUsage string) {
	r.registerAttempts(fs, attemptsUsage)
	fs.DurationVar(&r.backoffBase, "backoff-base", cognito.DefaultBackoff.Base, "first retry delay (exponential, full jitter)")
	fs.DurationVar(&r.backoffCap, "backoff-cap", cognito.DefaultBackoff.Cap, "longest retry delay")
}

// registerAttempts adds --max-attempts alone, for a command whose backoff is
// the default one.
func (r *retryFlags) registerAttempts(fs *flag.FlagSet, usage string) {
	r.backoffBase, r.backoffCap = cognito.DefaultBackoff.Base, cognito.DefaultBackoff.Cap
	fs.IntVar(&r.maxAttempts, "max-attempts", cognito.DefaultBackoff.MaxAttempts, usage)
}

// backoff is the flags as the cognito package takes them.
func (r *retryFlags) backoff() cognito.Backoff {
	return cognito.Backoff{Base: r.backoffBase, Cap: r.backoffCap, MaxAttempts: r.maxAttempts}
}

// logFlags are what a long-running command logs on stderr, and how.
type logFlags struct {
	logFormat        string
	quiet            bool
	progressInterval time.Duration
}

// register adds --log-format, --quiet (quietUsage says what is left) and
// --progress-interval (progressUsage says when a line is logged).
func (l *logFlags) register(fs *flag.FlagSet, quietUsage, progressUsage string) {
	fs.StringVar(&l.logFormat, "log-format", "text", "text or json (slog) on stderr")
	fs.BoolVar(&l.quiet, "quiet", false, quietUsage)
	fs.DurationVar(&l.progressInterval, "progress-interval", 5*time.Second, progressUsage)
}
