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
)

// Exit codes are part of the interface; the README lists them.
const (
	exitOK           = 0
	exitRowsFailed   = 1 // the job ran to its end, some rows failed
	exitUsage        = 2 // bad flags or manifest: nothing was written to the pool
	exitStoppedEarly = 3 // a fatal API error or a signal stopped the job
)

// exitError carries an exit code to main. Its message is what the user
// sees, on one line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the job winds down; a second one ends the
		// process at once, as the default handler does.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "cogpass: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "cogpass: %v\n", err)
	return exitUsage
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return &exitError{code: exitUsage}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
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
