package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/emulator"
	"cogpass/report"
)

var (
	crashBinaryOnce sync.Once
	crashBinary     string
	crashBinaryErr  error
)

// cogpassBinary builds the real binary once for the tests that run it. It
// stays in a temporary directory for the life of the test process.
func cogpassBinary(t *testing.T) string {
	t.Helper()
	crashBinaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cogpass-bin")
		if err != nil {
			crashBinaryErr = err
			return
		}
		crashBinary = filepath.Join(dir, "cogpass")
		out, err := exec.Command("go", "build", "-o", crashBinary, ".").CombinedOutput()
		if err != nil {
			crashBinaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if crashBinaryErr != nil {
		t.Fatal(crashBinaryErr)
	}
	return crashBinary
}

// reportRows counts the complete data rows of a CSV report on disk.
func reportRows(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	return max(0, bytes.Count(data, []byte("\n"))-1)
}

// startJob starts the binary on a set job and returns it running.
func startJob(t *testing.T, bin string, e *jobEmulator, manifest string, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
		"--yes", "--rate", "150", "--log-format", "json"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

func waitRows(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for reportRows(path) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the report did not reach %d rows", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkFinished checks the end state of a job over users 1..n: exactly one
// final row per manifest line, every user in FORCE_CHANGE_PASSWORD, and the
// last secret written for each user is the password it now has.
func checkFinished(t *testing.T, e *jobEmulator, manifest string, n int) {
	t.Helper()
	rows := readReport(t, manifest+".report.csv")
	perLine := map[int]int{}
	for _, r := range rows {
		if r.Outcome != report.Succeeded {
			t.Errorf("line %d: %s %s %s", r.Line, r.Outcome, r.ErrorCode, r.Message)
		}
		perLine[r.Line]++
	}
	for line := 2; line <= n+1; line++ {
		if perLine[line] != 1 {
			t.Errorf("line %d has %d report rows, want 1", line, perLine[line])
		}
	}
	if len(rows) != n {
		t.Errorf("%d report rows, want %d", len(rows), n)
	}
	secrets := readSecrets(t, manifest+".secrets.csv") // the last one per user wins
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("user%06d", i)
		out, err := e.signIn(name, secrets[name])
		if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Errorf("%s: its last secret does not sign in: %v", name, err)
		}
	}
}

func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the real binary at four points of a job")
	}
	bin := cogpassBinary(t)
	const users = 240
	for _, killAfter := range []int{-1, 0, 37, 150} {
		name := fmt.Sprintf("after %d rows", killAfter)
		if killAfter < 0 {
			name = "at start"
		}
		t.Run(name, func(t *testing.T) {
			e := newJobEmulator(t, users, emulator.Options{Latency: 10 * time.Millisecond, LatencyJitter: 5 * time.Millisecond})
			manifest := writeManifest(t, users)
			cmd, _ := startJob(t, bin, e, manifest)
			if killAfter >= 0 {
				waitRows(t, manifest+".report.csv", killAfter)
			} else {
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Kill() // SIGKILL: no flush, no summary
			cmd.Wait()
			code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
				"--yes", "--rate", "2000", "--resume")
			if code != exitOK {
				t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
			}
			checkFinished(t, e, manifest, users)
		})
	}
}

func TestInterruptThenResume(t *testing.T) {
	bin := cogpassBinary(t)
	const users = 200
	e := newJobEmulator(t, users, emulator.Options{Latency: 10 * time.Millisecond})
	manifest := writeManifest(t, users)
	cmd, stderr := startJob(t, bin, e, manifest)
	waitRows(t, manifest+".report.csv", 30)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitStoppedEarly {
		t.Fatalf("after SIGINT: %v, want exit 3; stderr:\n%s", err, stderr)
	}
	// --log-format json: the summary is a JSON line too.
	for _, want := range []string{"interrupted: rerun with --resume", `"msg":"summary","rows":`, `"report":"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	done := reportRows(manifest + ".report.csv")
	if done >= users {
		t.Fatalf("the job finished (%d rows) before the signal could stop it", done)
	}
	code, out := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--rate", "2000", "--resume")
	if code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("resumed:    %d rows", done)) {
		t.Errorf("the resumed run does not say it passed over %d rows:\n%s", done, out)
	}
	checkFinished(t, e, manifest, users)
}

func TestManifestChangedDuringRun(t *testing.T) {
	bin := cogpassBinary(t)
	e := newJobEmulator(t, 100, emulator.Options{Latency: 5 * time.Millisecond})
	manifest := writeManifest(t, 100)
	cmd, stderr := startJob(t, bin, e, manifest)
	waitRows(t, manifest+".report.csv", 10)
	f, err := os.OpenFile(manifest, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("user000101,,\n")
	f.Close()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitStoppedEarly {
		t.Fatalf("%v, want exit 3; stderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "changed while the job ran") {
		t.Errorf("stderr does not say the manifest changed:\n%s", stderr)
	}
}
