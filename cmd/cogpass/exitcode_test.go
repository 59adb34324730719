package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"

	"cogpass/job"
)

// exitCode decides the exit code in one place, by the error's kind, the
// outermost first: a preflight's fatal answer is a usage error (nothing
// was sent), a fatal answer during the run stops the job. It prints the
// message once, and nothing for a usage already printed.
func TestExitCodeByKind(t *testing.T) {
	fatal := &job.Fatal{Code: "ResourceNotFoundException", Err: errors.New("no pool")}
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"none", nil, exitOK, ""},
		{"help", flag.ErrHelp, exitOK, ""},
		{"usage", usageError("--rate must be above 0"), exitUsage, "cogpass: --rate must be above 0\n"},
		{"usage printed", errUsagePrinted, exitUsage, ""},
		{"no kind", errors.New("plain"), exitUsage, "cogpass: plain\n"},
		{"rows failed", &job.RowsFailed{Err: errors.New("1 of 2 rows failed")}, exitRowsFailed, "cogpass: 1 of 2 rows failed\n"},
		{"stopped", &job.Stopped{Err: errors.New("interrupted")}, exitStoppedEarly, "cogpass: interrupted\n"},
		{"fatal", fatal, exitStoppedEarly, "cogpass: job stopped: no pool\n"},
		{"fatal wrapped", fmt.Errorf("x: %w", fatal), exitStoppedEarly, "cogpass: x: job stopped: no pool\n"},
		{"usage around fatal", &job.UsageError{Err: fmt.Errorf("preflight: %w", fatal)}, exitUsage, "cogpass: preflight: job stopped: no pool\n"},
		{"stopped around usage", &job.Stopped{Err: usageError("u")}, exitStoppedEarly, "cogpass: u\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := exitCode(tt.err, &out); code != tt.code || out.String() != tt.out {
				t.Errorf("exit %d with %q, want %d with %q", code, out.String(), tt.code, tt.out)
			}
		})
	}
}
