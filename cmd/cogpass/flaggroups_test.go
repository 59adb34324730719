package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"
	"time"

	"cogpass/cognito"
	"cogpass/job"
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

// TestRetryFlagsBackoff: the retry flags bind into a cognito.Backoff, the
// default one's base and cap when only --max-attempts is registered.
func TestRetryFlagsBackoff(t *testing.T) {
	var all, attempts cognito.Backoff
	fs := flag.NewFlagSet("all", flag.ContinueOnError)
	registerRetries(fs, &all, "")
	if err := fs.Parse([]string{"--max-attempts=3", "--backoff-base=1s", "--backoff-cap=9s"}); err != nil {
		t.Fatal(err)
	}
	if want := (cognito.Backoff{Base: time.Second, Cap: 9 * time.Second, MaxAttempts: 3}); all != want {
		t.Errorf("registerRetries: %+v, want %+v", all, want)
	}
	fs = flag.NewFlagSet("attempts", flag.ContinueOnError)
	registerAttempts(fs, &attempts, "")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if attempts != cognito.DefaultBackoff {
		t.Errorf("registerAttempts: %+v, want the default %+v", attempts, cognito.DefaultBackoff)
	}
	if fs.Lookup("backoff-base") != nil {
		t.Error("registerAttempts added --backoff-base")
	}
}

// TestJobFlagsBindOptions: a job command's flags land in job.Options, each
// in its field, with nothing copied after the parse.
func TestJobFlagsBindOptions(t *testing.T) {
	var f jobFlags
	fs := newFlagSet("set", "", io.Discard)
	f.register(fs, job.Set)
	args := []string{
		"--user-pool-id", "us-east-1_X", "--manifest", "m.csv", "--manifest-format", "jsonl", "--permanent",
		"--report", "r.csv", "--secrets", "s.csv", "--secrets-recipient", "age1a", "--secrets-recipient", "age1b",
		"--secrets-recipients-file", "rf", "--secrets-identity", "id", "--password-length", "20", "--password-symbols", "!#",
		"--rate", "7", "--read-rate", "8", "--concurrency", "3", "--dry-run", "--offline", "--policy-file", "p.json",
		"--max-attempts", "4", "--backoff-base", "1s", "--backoff-cap", "2s", "--resume", "--retry-failed", "--skip-invalid",
		"--max-failures", "5%", "--include-federated", "--summary-json", "sum.json", "--stop-grace", "3s",
		"--skip-status", "CONFIRMED", "--limit", "9", "--sign-out",
		"--yes", "--log-format", "json", "--quiet", "--progress-interval", "1m", "--region", "us-east-1",
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	symbols := "!#"
	want := job.Options{
		Command: job.Set, UserPoolID: "us-east-1_X", Manifest: "m.csv", ManifestFormat: "jsonl", Permanent: true,
		Report: "r.csv", Secrets: "s.csv", Recipients: []string{"age1a", "age1b"},
		RecipientsFile: "rf", SecretsIdentity: "id", PasswordLength: 20, PasswordSymbols: &symbols,
		Rate: 7, ReadRate: 8, Concurrency: 3, DryRun: true, Offline: true, PolicyFile: "p.json",
		Backoff: cognito.Backoff{MaxAttempts: 4, Base: time.Second, Cap: 2 * time.Second}, Resume: true, RetryFailed: true, SkipInvalid: true,
		MaxFailures: "5%", IncludeFederated: true, SummaryJSON: "sum.json", StopGrace: 3 * time.Second,
		SkipStatus: "CONFIRMED", Limit: 9, SignOut: true,
	}
	if !reflect.DeepEqual(f.opts, want) {
		t.Errorf("options:\n got %+v\nwant %+v", f.opts, want)
	}
	if !f.yes || f.logFormat != "json" || !f.quiet || f.progressInterval != time.Minute || f.aws.region != "us-east-1" {
		t.Errorf("the command line's own flags: %+v", f)
	}

	var r jobFlags
	fs = newFlagSet("reset", "", io.Discard)
	r.register(fs, job.Reset)
	if err := fs.Parse([]string{"--client-metadata", "a=1", "--client-metadata", "b=2"}); err != nil {
		t.Fatal(err)
	}
	if got := r.opts.ClientMetadata; !slices.Equal(got, []string{"a=1", "b=2"}) || r.opts.Command != job.Reset {
		t.Errorf("reset: ClientMetadata %q, Command %s", got, r.opts.Command)
	}
}
