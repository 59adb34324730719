package job

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/emulator"
)

// The confirmation prompt's action names the skipped statuses, the
// sign-out and the --limit, and the users it counts are no more than the
// limit (moved from cmd/cogpass, where the prompt is rendered:
// "About to reset the passwords (skipping users RESET_REQUIRED), then sign
// each user out of every device, stopping after 20 rows (--limit) for 20
// users.").
func TestConfirmationSaysSignOutSkipAndLimit(t *testing.T) {
	s := &Session{opts: Options{Command: Reset, SignOut: true, Limit: 20}, statuses: []string{"RESET_REQUIRED"}}
	p := s.preview(&Plan{Rows: 500}, 0)
	want := "reset the passwords (skipping users RESET_REQUIRED), then sign each user out of every device, stopping after 20 rows (--limit)"
	if p.Action != want || p.Send != 20 {
		t.Errorf("action %q for %d users, want %q for 20", p.Action, p.Send, want)
	}
}

// A resume with --limit sends no more than the limit, and says how many
// rows remain of how many (cmd's TestConfirmResumeWithLimitCountsRemainingRows
// renders it).
func TestPreviewResumeWithLimit(t *testing.T) {
	s := &Session{opts: Options{Command: Set, Resume: true, Limit: 3}}
	p := s.preview(&Plan{Rows: 20}, 15)
	if p.Send != 3 || p.Total != 20 || p.Done != 15 || !p.Resume {
		t.Errorf("preview %+v, want 3 to send of 20, 15 done", p)
	}
	s.opts.Limit = 0
	if p := s.preview(&Plan{Rows: 20}, 15); p.Send != 5 {
		t.Errorf("without --limit: %d to send, want the 5 that remain", p.Send)
	}
}

// sessionEnv is an emulator with a pool of n users and a manifest naming
// them and one user who does not exist.
type sessionEnv struct {
	url      string
	manifest string
	connects int
}

const sessionPool = "us-east-1_Session1"

func newSessionEnv(t *testing.T, n int) *sessionEnv {
	t.Helper()
	srv := emulator.New(emulator.Options{})
	if err := srv.CreatePool(emulator.PoolConfig{ID: sessionPool}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("username\n")
	for i := range n {
		name := fmt.Sprintf("user%d", i)
		if err := srv.AddUser(sessionPool, emulator.SeedUser{Username: name, Password: "Seeded-Passw0rd!"}); err != nil {
			t.Fatal(err)
		}
		b.WriteString(name + "\n")
	}
	b.WriteString("nobody\n")
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	manifest := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(manifest, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return &sessionEnv{url: hs.URL, manifest: manifest}
}

func (e *sessionEnv) options() Options {
	return Options{Command: Set, UserPoolID: sessionPool, Manifest: e.manifest, Rate: 500, Backoff: cognito.DefaultBackoff, Endpoint: e.url}
}

func (e *sessionEnv) connect(context.Context) (cognito.API, error) {
	e.connects++
	return cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.url),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer:      aws.NopRetryer{},
	}), nil
}

// A session's whole life without the command line: Open (outputs named
// after the manifest, preflight), Preview, Start, Run, Outcome; each way it
// ends is a typed error: rows that failed are *RowsFailed, a refusal before
// any call (outputs left by the job, a resume of another job) is a
// *UsageError that connects to nothing, a resume of the same job knows the
// rows it did.
func TestSessionLife(t *testing.T) {
	e := newSessionEnv(t, 3)
	ctx := context.Background()
	s, err := Open(ctx, e.options(), e.connect)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Preview(); p.Total != 4 || p.Send != 4 || p.Generated != 4 || len(p.Pools) != 1 || p.Pools[0] != (PoolRows{sessionPool, 4}) {
		t.Errorf("preview %+v, want 4 rows of %s, 4 passwords generated", p, sessionPool)
	}
	if s.ReportPath() != e.manifest+".report.csv" || s.SecretsPath() != e.manifest+".secrets.csv" {
		t.Errorf("outputs %q, %q", s.ReportPath(), s.SecretsPath())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	sum, runErr := s.Run(ctx, Hooks{})
	err = s.Outcome(ctx, sum, runErr)
	s.Close()
	var failed *RowsFailed
	if !errors.As(err, &failed) || err.Error() != "1 of 4 rows failed: see "+e.manifest+".report.csv" {
		t.Fatalf("outcome %v (run %v), want 1 of 4 rows failed", err, runErr)
	}

	// Again without --resume: refused before any call.
	e.connects = 0
	_, err = Open(ctx, e.options(), e.connect)
	var usage *UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "exists: pass --resume to continue its job") || e.connects != 0 {
		t.Errorf("second start: %v after %d connects, want a usage error before any", err, e.connects)
	}
	// A resume of another job (permanent passwords this time) is refused.
	o := e.options()
	o.Resume, o.Permanent = true, true
	if _, err := Open(ctx, o, e.connect); !errors.As(err, &usage) || !strings.Contains(err.Error(), "refusing to resume") {
		t.Errorf("resume of another job: %v, want refused", err)
	}
	// The same job resumed has 3 rows done, and nothing left but the
	// failed one, which --retry-failed sends again.
	o = e.options()
	o.Resume, o.RetryFailed = true, true
	s, err = Open(ctx, o, e.connect)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := s.Preview(); p.Done != 3 || p.Send != 1 || !p.Resume {
		t.Errorf("resume preview %+v, want 3 done and 1 to send", p)
	}
}

// A run stopped by a signal is a *Stopped that says how to go on; without
// a signal, a fatal answer (no such pool) is one too, with a hint. (The
// first row names a pool that exists, and reaches it: a job stopped on its
// pool before any call reached one is TestSessionDiscardsUnreachedJob's.)
func TestSessionStopped(t *testing.T) {
	e := newSessionEnv(t, 2)
	o := e.options()
	o.Manifest, o.Report, o.Secrets = "-", filepath.Join(t.TempDir(), "r.csv"), filepath.Join(t.TempDir(), "s.csv")
	o.UserPoolID = "us-east-1_Missing1"
	o.Concurrency = 1
	o.Stdin = strings.NewReader("username,user_pool_id\nuser0," + sessionPool + "\nuser1,\n")
	ctx := context.Background()
	s, err := Open(ctx, o, e.connect)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	sum, runErr := s.Run(ctx, Hooks{})
	err = s.Outcome(ctx, sum, runErr)
	var stopped *Stopped
	if !errors.As(err, &stopped) || !strings.Contains(err.Error(), "the report says which rows were done: send the others once it is fixed") || !strings.Contains(err.Error(), "hint: check --user-pool-id and --region") {
		t.Errorf("outcome %v, want stopped with the stdin hint and the pool hint", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Outcome(cancelled, sum, runErr); !errors.As(err, &stopped) || err.Error() != "interrupted: the report says which rows were done: send the others to finish the job (--resume needs the manifest as a file)" {
		t.Errorf("interrupted: %v", err)
	}
}
