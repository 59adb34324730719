package job

import "fmt"

// The errors a Session returns say how the job ended, as kinds; the command
// maps each kind to its exit code in one place (cmd/cogpass exitCode):
// UsageError 2, RowsFailed 1, Stopped and Fatal 3. Their messages are what
// the user sees.

// UsageError is a job refused before it sent anything: bad options, an
// unreadable manifest, outputs that exist or clash, a refused resume, a
// preflight that found invalid rows. It leaves nothing behind.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// Stopped is a job (or a listing, or a look-up) that stopped before its
// end: a fatal answer, a changed manifest, a signal. The message says how to
// go on; a resumed run sends the rows that were not finished.
type Stopped struct{ Err error }

func (e *Stopped) Error() string { return e.Err.Error() }
func (e *Stopped) Unwrap() error { return e.Err }

// RowsFailed is a job that ran to its end with rows that failed; the report
// says which.
type RowsFailed struct{ Err error }

func (e *RowsFailed) Error() string { return e.Err.Error() }
func (e *RowsFailed) Unwrap() error { return e.Err }
