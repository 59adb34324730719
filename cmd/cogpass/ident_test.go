package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"cogpass/emulator"
)

// withStdin makes r the process's stdin for one test.
func withStdin(t *testing.T, r *bytes.Buffer) {
	t.Helper()
	old := stdin
	stdin = r
	t.Cleanup(func() { stdin = old })
}

func TestResetReadsTheManifestFromStdin(t *testing.T) {
	// export | reset --manifest -, in either of export's formats, with no
	// --manifest-format: the format is told from the first bytes.
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			e := newJobEmulator(t, 12, emulator.Options{})
			var exported, stderr bytes.Buffer
			err := run(context.Background(), []string{"export", "--user-pool-id", testPool, "--endpoint-url", e.url, "--output-format", format}, &exported, &stderr)
			if code := exitCode(err, &stderr); code != 0 {
				t.Fatalf("export: exit %d: %s", code, stderr.String())
			}
			withStdin(t, &exported)
			reportPath := filepath.Join(t.TempDir(), "reset.report.csv")
			code, out := runCLI(t, "reset", "--user-pool-id", testPool, "--endpoint-url", e.url, "--manifest", "-", "--report", reportPath, "--rate", "2000")
			if code == exitUsage {
				t.Fatalf("export | reset --manifest -: exit 2:\n%s", out)
			}
			if strings.Contains(out, "--secrets") {
				t.Errorf("reset asks for --secrets, a flag it does not have:\n%s", out)
			}
			if n := len(readReport(t, reportPath)); n != 12 {
				t.Errorf("%d report rows, want 12", n)
			}
			if n := e.writes("AdminResetUserPassword"); n != 12 {
				t.Errorf("%d resets, want 12", n)
			}
		})
	}
}

// A start that fails with exit 2 leaves nothing behind, in every mode, and
// the corrected rerun needs no --resume.
func TestFailedStartLeavesNothing(t *testing.T) {
	e := newJobEmulator(t, 5, emulator.Options{})
	bad := map[string][]byte{
		"no username column": []byte("user,password\nuser000001,\n"),
		"semicolons":         []byte("username;password\nuser000001;\n"),
		"utf-16":             append([]byte{0xff, 0xfe}, []byte("u\x00s\x00e\x00r\x00n\x00a\x00m\x00e\x00\n\x00")...),
	}
	modes := map[string][]string{
		"real run":        {"--user-pool-id", testPool, "--endpoint-url", e.url, "--yes"},
		"dry run":         {"--user-pool-id", testPool, "--endpoint-url", e.url, "--dry-run"},
		"offline dry run": {"--dry-run", "--offline"},
	}
	for name, data := range bad {
		for mode, args := range modes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				dir := t.TempDir()
				manifest := filepath.Join(dir, "users.csv")
				if err := os.WriteFile(manifest, data, 0o644); err != nil {
					t.Fatal(err)
				}
				code, out := runCLI(t, append([]string{"set", "--manifest", manifest}, args...)...)
				if code != exitUsage {
					t.Fatalf("exit %d, want 2:\n%s", code, out)
				}
				if left := filesIn(t, dir); len(left) != 1 {
					t.Errorf("a failed start left %v", left)
				}
				// The corrected manifest runs without --resume.
				if err := os.WriteFile(manifest, []byte("username\nuser000001\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				code, out = runCLI(t, append([]string{"set", "--manifest", manifest, "--rate", "2000"}, args...)...)
				if code != 0 {
					t.Errorf("the corrected rerun: exit %d:\n%s", code, out)
				}
			})
		}
	}
}

// The hint for an output left by an earlier run offers only flags that
// the mode accepts.
func TestExistingOutputHintWorks(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.csv")
	os.WriteFile(manifest, []byte("username\nuser000001\n"), 0o644)
	args := []string{"set", "--manifest", manifest, "--dry-run", "--offline"}
	if code, out := runCLI(t, args...); code != 0 {
		t.Fatalf("first dry run: exit %d:\n%s", code, out)
	}
	code, out := runCLI(t, args...)
	if code != exitUsage || strings.Contains(out, "--resume") || !strings.Contains(out, "--report") {
		t.Errorf("second dry run: exit %d, want 2 and a hint without --resume:\n%s", code, out)
	}
}

func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// identityEnv is an emulator with a case-sensitive pool holding john.doe
// and John.Doe (two users), and a case-insensitive pool with the e-mail
// alias where rhaddad signs in as R.Haddad@example.com too.
func identityEnv(t *testing.T) string {
	t.Helper()
	srv := emulator.New(emulator.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Sens", CaseSensitive: true}))
	must(srv.AddUser("us-east-1_Sens", emulator.SeedUser{Username: "john.doe"}))
	must(srv.AddUser("us-east-1_Sens", emulator.SeedUser{Username: "John.Doe"}))
	must(srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Insens", AliasAttributes: []string{"email"}}))
	must(srv.AddUser("us-east-1_Insens", emulator.SeedUser{Username: "rhaddad", Email: "R.Haddad@example.com", EmailVerified: true}))
	must(srv.AddUser("us-east-1_Insens", emulator.SeedUser{Username: "alice"}))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	return hs.URL
}

// duplicateLines runs cogpass and returns the lines its report names as
// DuplicateUser, and how many rows it has.
func duplicateLines(t *testing.T, reportPath string, args ...string) ([]int, int) {
	t.Helper()
	code, out := runCLI(t, args...)
	if code != 0 && code != exitRowsFailed {
		t.Fatalf("%v: exit %d:\n%s", args, code, out)
	}
	var lines []int
	rows := readReport(t, reportPath)
	for _, r := range rows {
		if r.ErrorCode == "DuplicateUser" {
			lines = append(lines, r.Line)
		}
	}
	sort.Ints(lines)
	return lines, len(rows)
}

// Two rows are one user by the pool's case rule or by the canonical
// username the look-up returns; a real run, a dry run (online and
// offline) and a manifest on stdin find the same duplicates.
func TestDuplicatesFollowThePoolsIdentity(t *testing.T) {
	url := identityEnv(t)
	tests := []struct {
		pool, manifest string
		want           []int // DuplicateUser lines, with look-ups
		offline        []int // without (the offline dry run)
		writes         int
	}{
		{"us-east-1_Sens", "username\njohn.doe\nJohn.Doe\n", nil, nil, 2},
		{"us-east-1_Insens", "username\nrhaddad\nR.Haddad@example.com\nRHADDAD\nalice\n", []int{3, 4}, []int{4}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.pool, func(t *testing.T) {
			dir := t.TempDir()
			manifest := filepath.Join(dir, "users.csv")
			os.WriteFile(manifest, []byte(tt.manifest), 0o644)
			// One worker: of two rows resolving to one user, the first looked up
			// is sent, and with one worker that is the first in the manifest.
			common := []string{"set", "--user-pool-id", tt.pool, "--endpoint-url", url, "--manifest", manifest, "--rate", "2000", "--concurrency", "1"}

			got, _ := duplicateLines(t, manifest+".dryrun.report.csv", append(common, "--dry-run")...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("dry run: DuplicateUser on lines %v, want %v", got, tt.want)
			}

			var policyJSON, stderr bytes.Buffer
			err := run(context.Background(), []string{"policy", "--user-pool-id", tt.pool, "--endpoint-url", url, "--output", "json"}, &policyJSON, &stderr)
			if code := exitCode(err, &stderr); code != 0 {
				t.Fatalf("policy: exit %d: %s", code, stderr.String())
			}
			policyFile := filepath.Join(dir, "policy.json")
			os.WriteFile(policyFile, policyJSON.Bytes(), 0o644)
			offlineReport := filepath.Join(dir, "offline.csv")
			got, _ = duplicateLines(t, offlineReport, "set", "--manifest", manifest, "--dry-run", "--offline", "--policy-file", policyFile, "--report", offlineReport)
			if !slices.Equal(got, tt.offline) {
				t.Errorf("offline dry run: DuplicateUser on lines %v, want %v", got, tt.offline)
			}

			data, _ := os.ReadFile(manifest)
			withStdin(t, bytes.NewBuffer(data))
			stdinReport := filepath.Join(dir, "stdin.csv")
			got, _ = duplicateLines(t, stdinReport, "set", "--user-pool-id", tt.pool, "--endpoint-url", url, "--manifest", "-", "--manifest-format", "csv",
				"--report", stdinReport, "--secrets", filepath.Join(dir, "stdin.secrets.csv"), "--rate", "2000", "--concurrency", "1")
			if !slices.Equal(got, tt.want) {
				t.Errorf("stdin: DuplicateUser on lines %v, want %v", got, tt.want)
			}

			fileReport := filepath.Join(dir, "file.csv")
			got, _ = duplicateLines(t, fileReport, append(common, "--yes", "--skip-invalid", "--report", fileReport, "--secrets", filepath.Join(dir, "file.secrets.csv"))...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("real run: DuplicateUser on lines %v, want %v", got, tt.want)
			}
			secrets := readSecrets(t, filepath.Join(dir, "file.secrets.csv"))
			if len(secrets) != tt.writes {
				t.Errorf("real run set %d passwords (%v), want %d", len(secrets), secrets, tt.writes)
			}
		})
	}
}

// ptyRun is cogpass started on a pseudo-terminal: what it shows, and its
// end.
type ptyRun struct {
	tty  *os.File
	out  *lockedBuffer
	done chan struct{}
	code int
}

func startOnTerminal(t *testing.T, c *exec.Cmd) *ptyRun {
	t.Helper()
	tty, err := pty.StartWithSize(c, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("start on a pty: %v", err)
	}
	r := &ptyRun{tty: tty, out: &lockedBuffer{}, done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		io.Copy(r.out, tty) // ends with EIO once the process has exited
		close(copied)
	}()
	go func() {
		err := c.Wait()
		r.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.code = 128 + int(ws.Signal())
			}
		}
		<-copied
		close(r.done)
	}()
	t.Cleanup(func() {
		c.Process.Kill()
		<-r.done
		tty.Close()
	})
	return r
}

// wait waits for the process to end; a process still running after a
// minute is a hang, not slowness.
func (r *ptyRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-time.After(time.Minute):
		t.Fatalf("still running a minute after it was told to stop:\n%q", r.out.String())
	}
	return 0
}

// Ctrl-C at the confirmation prompt cancels: nothing is sent, no file is
// left, and the process does not wait for another line.
func TestCtrlCAtTheConfirmationPrompt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := cogpassBinary(t)
	e := newPtyPool(t, 10)
	r := startOnTerminal(t, e.command(bin, "set"))
	waitFor(t, r.out, "Go on? [y/N]")
	r.tty.Write([]byte{3}) // ^C: the terminal sends SIGINT
	code := r.wait(t)
	if code != exitStoppedEarly && code != 130 {
		t.Errorf("exit %d, want 3 or 130:\n%q", code, r.out.String())
	}
	if n := e.calls("AdminSetUserPassword"); n != 0 {
		t.Errorf("%d AdminSetUserPassword calls after Ctrl-C at the prompt", n)
	}
	if left := filesIn(t, e.dir); len(left) != 1 {
		t.Errorf("files left: %v", left)
	}
}

// A default reset (users looked up first) against Cognito's daily e-mail
// cap stops after five refused writes and names the row that tripped it;
// a broken Lambda trigger stops it too, with a hint naming the trigger.
func TestPoolLevelFailuresStopAResetJob(t *testing.T) {
	tests := []struct {
		name       string
		opts       emulator.Options
		line       int   // the row that trips the breaker
		maxResets  int64 // AdminResetUserPassword calls, at most
		wantInHint string
	}{
		// 3 e-mails go out (lines 2-4), then lines 5-9 are refused.
		{"e-mail cap", emulator.Options{EmailDailyCap: 3}, 9, 8, "LimitExceededException"},
		{"broken trigger", emulator.Options{LambdaFault: emulator.LambdaFault{Code: "UnexpectedLambdaException"}}, 6, 10, "Lambda trigger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newJobEmulator(t, 70, tt.opts)
			manifest := writeManifest(t, 70)
			code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
				"--yes", "--concurrency", "1", "--rate", "2000", "--backoff-base", "1ms", "--backoff-cap", "2ms")
			if code != exitStoppedEarly {
				t.Fatalf("exit %d, want 3:\n%s", code, stderr)
			}
			if want := fmt.Sprintf("line %d", tt.line); !strings.Contains(stderr, want) || !strings.Contains(stderr, tt.wantInHint) || !strings.Contains(stderr, "--resume") {
				t.Errorf("stderr lacks %q, %q or --resume:\n%s", want, tt.wantInHint, stderr)
			}
			if n := e.writes("AdminResetUserPassword"); n > tt.maxResets {
				t.Errorf("%d resets sent, want at most %d", n, tt.maxResets)
			}
		})
	}
}

// The first Ctrl-C says at once what happens, and the bar, which the
// terminal's "^C" lands on, is redrawn from the line's start, never two
// columns in as a garbled count.
func TestFirstCtrlCSaysWhatHappens(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := cogpassBinary(t)
	e := newPtyPool(t, 400)
	r := startOnTerminal(t, e.command(bin, "set", "--yes", "--rate", "20"))
	waitFor(t, r.out, "rows/s")
	r.tty.Write([]byte{3})
	waitFor(t, r.out, "Ctrl-C again to quit now")
	if code := r.wait(t); code != exitStoppedEarly {
		t.Errorf("exit %d, want 3", code)
	}
	out := r.out.String()
	if !regexp.MustCompile(`stopping: \d+ calls? in flight, up to 10s; Ctrl-C again to quit now`).MatchString(out) {
		t.Errorf("no stop message:\n%q", out)
	}
	// What follows the echoed ^C must start again at the first column.
	for rest := out; ; {
		i := strings.Index(rest, "^C")
		if i < 0 {
			break
		}
		rest = rest[i+2:]
		if rest != "" && rest[0] != '\r' && rest[0] != '\n' {
			t.Errorf("output goes on two columns in, after the ^C: %q", rest[:min(len(rest), 60)])
		}
	}
	if strings.Index(out, "stopping:") > strings.Index(out, "rows:") {
		t.Errorf("the stop message came only with the summary:\n%q", out)
	}
}

// appendOnRead is a confirmation answer that, when read, first appends
// rows to the manifest: the manifest changes after the preflight, while
// the job is about to run.
type appendOnRead struct {
	path, rows string
	done       bool
}

func (a *appendOnRead) Read(p []byte) (int, error) {
	if !a.done {
		a.done = true
		f, err := os.OpenFile(a.path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return 0, err
		}
		f.WriteString(a.rows)
		f.Close()
	}
	return copy(p, "y\n"), nil
}

// Rows added to the manifest after the preflight read and hashed it are
// never sent, and the hint printed works: the manifest put back and
// --resume finish the job.
func TestManifestChangedDuringTheRun(t *testing.T) {
	const rows, added = 1500, 10
	e := newJobEmulator(t, rows+added, emulator.Options{})
	var b strings.Builder
	b.WriteString("username,note\n")
	for i := 1; i <= rows; i++ {
		// A note column makes the file larger than a read buffer, so that
		// the appended rows are not simply left unread.
		fmt.Fprintf(&b, "user%06d,%s\n", i, strings.Repeat("x", 90))
	}
	manifest := filepath.Join(t.TempDir(), "users.csv")
	original := b.String()
	os.WriteFile(manifest, []byte(original), 0o644)
	var more strings.Builder
	for i := rows + 1; i <= rows+added; i++ {
		fmt.Fprintf(&more, "user%06d,added\n", i)
	}
	old, oldTerm := stdin, stdinIsTerminal
	stdin, stdinIsTerminal = &appendOnRead{path: manifest, rows: more.String()}, func() bool { return true }
	t.Cleanup(func() { stdin, stdinIsTerminal = old, oldTerm })

	args := []string{"reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--rate", "5000", "--include-federated"}
	code, out := runCLI(t, args...)
	if code != exitStoppedEarly || !strings.Contains(out, "changed while the job ran") {
		t.Fatalf("exit %d, want 3 and a changed-manifest stop:\n%s", code, out)
	}
	if n := e.writes("AdminResetUserPassword"); n != rows {
		t.Errorf("%d resets, want %d: rows added after the preflight were sent", n, rows)
	}
	if !strings.Contains(out, "put back the manifest") || !strings.Contains(out, "--resume") {
		t.Errorf("no working hint:\n%s", out)
	}
	// The hint: put the manifest back and resume.
	os.WriteFile(manifest, []byte(original), 0o644)
	stdinIsTerminal = func() bool { return false }
	code, out = runCLI(t, append(args, "--resume")...)
	if code != 0 {
		t.Errorf("following the hint: exit %d:\n%s", code, out)
	}
	if n := e.writes("AdminResetUserPassword"); n != rows {
		t.Errorf("%d resets after the resume, want %d", n, rows)
	}
}

// A stopped dry run, or a stopped run from stdin, is not told to use
// --resume, which neither accepts. (The first row names a pool that exists
// and reaches it, so that the missing pool of the second stops the job with
// exit 3: before any call reached a pool it would be exit 2, nothing left.)
func TestStopHintsOfferOnlyAcceptedFlags(t *testing.T) {
	e := newJobEmulator(t, 5, emulator.Options{})
	manifest := filepath.Join(t.TempDir(), "pools.csv")
	if err := os.WriteFile(manifest, []byte("username,user_pool_id\nuser000001,"+testPool+"\nuser000002,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "set", "--user-pool-id", "us-east-1_Missing", "--manifest", manifest, "--endpoint-url", e.url, "--dry-run", "--concurrency", "1")
	if code != exitStoppedEarly || strings.Contains(out, "--resume") {
		t.Errorf("dry run on a missing pool: exit %d, want 3 and no --resume in the hint:\n%s", code, out)
	}
	data, _ := os.ReadFile(manifest)
	withStdin(t, bytes.NewBuffer(data))
	dir := t.TempDir()
	code, out = runCLI(t, "reset", "--user-pool-id", "us-east-1_Missing", "--manifest", "-", "--manifest-format", "csv", "--endpoint-url", e.url,
		"--report", filepath.Join(dir, "r.csv"), "--concurrency", "1")
	if code != exitStoppedEarly || strings.Contains(out, "rerun with --resume") {
		t.Errorf("stdin run on a missing pool: exit %d, want 3 and no --resume to rerun with:\n%s", code, out)
	}
}
