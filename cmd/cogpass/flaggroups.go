package main

import (
	"flag"
	"time"

	"cogpass/cognito"
)

// Flag groups several commands share, each registered in one place so that
// a flag means the same, with the same default, wherever it appears: the
// retries, bound into a cognito.Backoff (a job's options' own), and the
// logs, a struct a command embeds. (The AWS connection flags are awsFlags,
// in aws.go.)

// registerRetries binds the retries of a command that calls Cognito into
// b: --max-attempts, whose usage says what gives up after the last attempt
// (a row, a listing), --backoff-base and --backoff-cap.
func registerRetries(fs *flag.FlagSet, b *cognito.Backoff, attemptsUsage string) {
	registerAttempts(fs, b, attemptsUsage)
	fs.DurationVar(&b.Base, "backoff-base", cognito.DefaultBackoff.Base, "first retry delay (exponential, full jitter)")
	fs.DurationVar(&b.Cap, "backoff-cap", cognito.DefaultBackoff.Cap, "longest retry delay")
}

// registerAttempts binds --max-attempts alone into b, for a command whose
// backoff is the default one.
func registerAttempts(fs *flag.FlagSet, b *cognito.Backoff, usage string) {
	*b = cognito.DefaultBackoff
	fs.IntVar(&b.MaxAttempts, "max-attempts", cognito.DefaultBackoff.MaxAttempts, usage)
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
