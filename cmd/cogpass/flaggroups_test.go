package main

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"cogpass/cognito"
)

// TestSharedFlagsAgree: a flag of a shared group (AWS, retries, logs) has
// the same type and default in every command that takes it.
func TestSharedFlagsAgree(t *testing.T) {
	shared := []string{"endpoint-url", "region", "profile", "max-attempts", "backoff-base", "backoff-cap", "log-format", "quiet", "progress-interval"}
	type seen struct{ cmd, kind, def string }
	first := map[string]seen{}
	for _, c := range commands {
		fs := c.flags()
		for _, name := range shared {
			f := fs.Lookup(name)
			if f == nil {
				continue
			}
			s := seen{c.name, fmt.Sprintf("%T", f.Value), f.DefValue}
			if was, ok := first[name]; !ok {
				first[name] = s
			} else if was.kind != s.kind || was.def != s.def {
				t.Errorf("--%s: %s has %s default %q, %s has %s default %q", name, was.cmd, was.kind, was.def, s.cmd, s.kind, s.def)
			}
		}
	}
	for _, name := range shared {
		if _, ok := first[name]; !ok {
			t.Errorf("no command takes --%s", name)
		}
	}
}

// TestRetryFlagsBackoff: the retry flags are the cognito package's backoff,
// its defaults when only --max-attempts is registered.
func TestRetryFlagsBackoff(t *testing.T) {
	var all, attempts retryFlags
	fs := flag.NewFlagSet("all", flag.ContinueOnError)
	all.register(fs, "")
	if err := fs.Parse([]string{"--max-attempts=3", "--backoff-base=1s", "--backoff-cap=9s"}); err != nil {
		t.Fatal(err)
	}
	if got, want := all.backoff(), (cognito.Backoff{Base: time.Second, Cap: 9 * time.Second, MaxAttempts: 3}); got != want {
		t.Errorf("register: %+v, want %+v", got, want)
	}
	fs = flag.NewFlagSet("attempts", flag.ContinueOnError)
	attempts.registerAttempts(fs, "")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := attempts.backoff(); got != cognito.DefaultBackoff {
		t.Errorf("registerAttempts: %+v, want the default %+v", got, cognito.DefaultBackoff)
	}
	if fs.Lookup("backoff-base") != nil {
		t.Error("registerAttempts added --backoff-base")
	}
}
