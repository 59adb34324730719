// Command cogpass runs bulk password jobs against Amazon Cognito user pools:
// set, reset or change the passwords of every user in a manifest, paced
// under the account's quota, with a per-user report and resume.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"cogpass/job"
)

// Exit codes are part of the interface; the README lists them.
const (
	exitOK           = 0
	exitRowsFailed   = 1 // the job ran to its end, some rows failed
	exitUsage        = 2 // bad flags or manifest: nothing was written to the pool
	exitStoppedEarly = 3 // a fatal API error or a signal stopped the job
)

// usageError is a usage error (exit 2) with a formatted message.
func usageError(format string, a ...any) error {
	return job.Usagef(format, a...)
}

// errUsagePrinted is a usage error whose usage was printed already: it
// exits 2 and says nothing more.
var errUsagePrinted = &job.UsageError{Err: errors.New("usage")}

func main() { os.Exit(runMain()) }

// runMain is the process: run with the command line, under a context the
// first SIGINT or SIGTERM cancels, and the exit code for its error. The
// testscript scenarios run it as the cogpass command.
func runMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the job winds down; a second one ends the
		// process at once, as the default handler does.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	return exitCode(err, os.Stderr)
}

// exitCode prints err, in one line (and a hint), and decides the exit code
// by its kind: the first of the kinds it is, from the outside in. An error
// of no kind is a usage error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := exitCodeOf(err)
	var jl *jsonLogged
	switch {
	case errors.As(err, &jl):
		printErrorJSON(stderr, jl.Err, code)
	case err != errUsagePrinted:
		fmt.Fprintf(stderr, "cogpass: %v\n", err)
	}
	return code
}

// exitCodeOf is the exit code of err's kind.
func exitCodeOf(err error) int {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e.(type) {
		case *job.RowsFailed:
			return exitRowsFailed
		case *job.UsageError:
			return exitUsage
		case *job.Stopped, *job.Fatal:
			return exitStoppedEarly
		}
	}
	return exitUsage
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return errUsagePrinted
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		// help COMMAND is COMMAND --help; an unknown COMMAND is the
		// unknown-command error.
		if len(args) > 1 && args[1] != "help" {
			cmd, ok := lookupCommand(args[1])
			if !ok {
				return unknownCommand(args[1])
			}
			return cmd.run(ctx, []string{"--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return nil
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	cmd, ok := lookupCommand(args[0])
	if !ok {
		return unknownCommand(args[0])
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}
