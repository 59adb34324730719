package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito/policy"
	"cogpass/emulator"
	"cogpass/report"
)

// applyThenHang passes requests on to the emulator; ChangePassword is
// applied there and its answer then held back until the client goes away,
// the way a network that dies mid-call leaves a change applied and
// unanswered.
type applyThenHang struct {
	target  string
	applied atomic.Int64
}

func (p *applyThenHang) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.Path, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ChangePassword") {
		p.applied.Add(1)
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// lastPasswords reads each user's last secrets record, decrypting with id
// when the file is encrypted.
func lastPasswords(t *testing.T, path string, id age.Identity) map[string]report.SecretRecord {
	t.Helper()
	var ids []age.Identity
	if id != nil {
		ids = []age.Identity{id}
	}
	last := map[string]report.SecretRecord{}
	info, err := report.ReadSecrets(path, ids, func(r report.SecretRecord) error {
		last[r.Username] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.Encrypted != (id != nil) {
		t.Fatalf("secrets file encrypted: %v, want %v", info.Encrypted, id != nil)
	}
	return last
}

// A change applied by Cognito whose answer never came back before kill -9:
// the generated password was on disk (pending) before the call, and
// --resume settles the row with it instead of failing it on the old
// previous password. Every user's last secrets record is then the password
// it has. With an encrypted secrets file the resume reads the pending
// passwords with --secrets-identity.
func TestKillDuringChangeThenResume(t *testing.T) {
	bin := cogpassBinary(t)
	for _, tc := range []struct {
		encrypted bool
		stop      string // kill, or term: a graceful stop whose grace runs out
	}{{false, "kill"}, {true, "kill"}, {false, "term"}} {
		encrypted := tc.encrypted
		t.Run(fmt.Sprintf("%s/encrypted=%v", tc.stop, encrypted), func(t *testing.T) {
			const users = 6
			e := newJobEmulator(t, users, emulator.Options{})
			proxy := &applyThenHang{target: e.url}
			front := httptest.NewServer(proxy)
			t.Cleanup(front.Close)
			var b strings.Builder
			for i := 1; i <= users; i++ {
				name := fmt.Sprintf("user%06d", i)
				out, err := e.signIn(name, "Seeded-Passw0rd!")
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, `{"username":%q,"access_token":%q,"previous_password":"Seeded-Passw0rd!"}`+"\n", name, aws.ToString(out.AuthenticationResult.AccessToken))
			}
			dir := t.TempDir()
			manifest := filepath.Join(dir, "tokens.jsonl")
			os.WriteFile(manifest, []byte(b.String()), 0o600)
			var crypt, resumeCrypt []string
			var id *age.X25519Identity
			if encrypted {
				var err error
				if id, err = age.GenerateX25519Identity(); err != nil {
					t.Fatal(err)
				}
				keyFile := filepath.Join(dir, "key.txt")
				os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
				crypt = []string{"--secrets-recipient", id.Recipient().String()}
				resumeCrypt = append(crypt, "--secrets-identity", keyFile)
			}
			args := append([]string{"change", "--manifest", manifest, "--yes", "--rate", "2000", "--concurrency", "8", "--stop-grace", "200ms", "--report", manifest + ".report.csv"}, crypt...)
			cmd := exec.Command(bin, append(args, "--endpoint-url", front.URL)...)
			cmd.Env = append(os.Environ(), "AWS_REGION=us-east-1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for proxy.applied.Load() < users {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("%d of %d changes applied; stderr:\n%s", proxy.applied.Load(), users, &stderr)
				}
				time.Sleep(5 * time.Millisecond)
			}
			// Every change applied, no answer received.
			if tc.stop == "kill" {
				cmd.Process.Kill()
				cmd.Wait()
			} else {
				cmd.Process.Signal(syscall.SIGTERM)
				var exit *exec.ExitError
				if err := cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != exitStoppedEarly {
					t.Fatalf("after SIGTERM: %v, want exit 3; stderr:\n%s", err, &stderr)
				}
			}
			if n := reportRows(manifest + ".report.csv"); n != 0 {
				t.Fatalf("%d report rows before the resume, want 0", n)
			}

			code, out := runCLI(t, append(append([]string{}, args...), append(resumeCrypt, "--endpoint-url", e.url, "--resume")...)...)
			if code != exitOK {
				t.Fatalf("resume: exit %d; stderr:\n%s", code, out)
			}
			for _, r := range readReport(t, manifest+".report.csv") {
				if r.Outcome != report.Succeeded || !strings.Contains(r.Message, "applied by an earlier attempt") {
					t.Errorf("line %d: %s %s %q, want succeeded, applied by an earlier attempt", r.Line, r.Outcome, r.ErrorCode, r.Message)
				}
			}
			var ident age.Identity
			if id != nil {
				ident = id
			}
			last := lastPasswords(t, manifest+".secrets.csv", ident)
			for i := 1; i <= users; i++ {
				name := fmt.Sprintf("user%06d", i)
				rec := last[name]
				if rec.Status != report.SecretApplied {
					t.Errorf("%s: last secrets record %q, want applied", name, rec.Status)
				}
				if _, err := e.signIn(name, rec.Password); err != nil {
					t.Errorf("%s: its last secrets record does not sign in: %v", name, err)
				}
			}
		})
	}
}

// With --secrets-recipient, kill -9 in the middle of a set job, then
// --resume: every row the report says succeeded has its password in the
// encrypted secrets file, and every user's last record signs in.
func TestKillEncryptedThenResume(t *testing.T) {
	bin := cogpassBinary(t)
	const users = 200
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	e := newJobEmulator(t, users, emulator.Options{Latency: 10 * time.Millisecond, LatencyJitter: 5 * time.Millisecond})
	manifest := writeManifest(t, users)
	recipient := []string{"--secrets-recipient", id.Recipient().String()}
	cmd, _ := startJob(t, bin, e, manifest, recipient...)
	waitRows(t, manifest+".report.csv", 60)
	cmd.Process.Kill()
	cmd.Wait()
	done := readReport(t, manifest+".report.csv")
	last := lastPasswords(t, manifest+".secrets.csv", id)
	for _, r := range done {
		if rec := last[r.Username]; rec.Status != report.SecretApplied {
			t.Errorf("after kill -9: %s succeeded but its last secrets record is %q", r.Username, rec.Status)
		}
	}
	code, stderr := runCLI(t, append([]string{"set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url,
		"--yes", "--rate", "2000", "--resume"}, recipient...)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
	}
	last = lastPasswords(t, manifest+".secrets.csv", id)
	rows := readReport(t, manifest+".report.csv")
	if len(rows) != users {
		t.Errorf("%d report rows, want %d", len(rows), users)
	}
	for _, r := range rows {
		rec := last[r.Username]
		if r.Outcome != report.Succeeded || rec.Status != report.SecretApplied {
			t.Errorf("%s: %s, last secrets record %q", r.Username, r.Outcome, rec.Status)
			continue
		}
		out, err := e.signIn(r.Username, rec.Password)
		if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Errorf("%s: its last secrets record does not sign in: %v", r.Username, err)
		}
	}
}

// cogpass secrets decrypt reads every segment of an encrypted secrets file;
// --latest keeps each line's password in force.
func TestSecretsDecrypt(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, keyFile := filepath.Join(dir, "s.csv"), filepath.Join(dir, "key.txt")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	s, err := report.CreateSecrets(path, []age.Recipient{id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	s.Pending(2, "a", "pa")
	s.Write(2, "a", "pa")
	s.Pending(3, "b", "pb")
	s.Refused(3, "b")
	s.Pending(4, "c", "pc")
	s.Close()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"secrets", "decrypt", "--identity", keyFile, path}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	want := "line,username,password,status\n2,a,pa,pending\n2,a,pa,applied\n3,b,pb,pending\n3,b,,refused\n4,c,pc,pending\n"
	if stdout.String() != want {
		t.Errorf("decrypt:\n%s\nwant:\n%s", &stdout, want)
	}
	stdout.Reset()
	if err := run(t.Context(), []string{"secrets", "decrypt", "--identity", keyFile, "--latest", path}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "line,username,password,status\n2,a,pa,applied\n" || !strings.Contains(stderr.String(), "1 line(s) end pending") {
		t.Errorf("--latest:\n%s\nstderr: %s", &stdout, &stderr)
	}
	if code, _ := runCLI(t, "secrets", "decrypt", path); code != exitUsage {
		t.Errorf("decrypt without a key: exit %d, want 2", code)
	}
}

// The emulator's --fault-after-apply loses half the answers of writes it
// applied, in a pool with a password history: every row still succeeds,
// and every user's last secrets record signs in.
func TestSetWithLostAnswersInPoolWithHistory(t *testing.T) {
	const users, pool = 60, "us-east-1_History"
	e := newJobEmulator(t, 0, emulator.Options{Seed: 7, FaultAfterApply: emulator.AfterApplyFault{Rate: 0.5, Operations: []string{"AdminSetUserPassword"}}})
	pol := policy.Default()
	pol.PasswordHistorySize = 5
	if err := e.srv.CreatePool(emulator.PoolConfig{ID: pool, Policy: pol}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SeedUsersWithPassword(pool, users, "Seeded-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	client, err := e.srv.CreateClient(emulator.ClientConfig{PoolID: pool})
	if err != nil {
		t.Fatal(err)
	}
	manifest := writeManifest(t, users)
	code, stderr := runCLI(t, "set", "--user-pool-id", pool, "--manifest", manifest, "--endpoint-url", e.url,
		"--yes", "--rate", "2000", "--permanent", "--backoff-base", "1ms", "--backoff-cap", "10ms")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	applied := 0
	for _, r := range readReport(t, manifest+".report.csv") {
		if r.Outcome != report.Succeeded {
			t.Errorf("line %d: %s %s %q", r.Line, r.Outcome, r.ErrorCode, r.Message)
		}
		if strings.Contains(r.Message, "applied by an earlier attempt") {
			applied++
		}
	}
	if applied == 0 {
		t.Error("no row met a lost answer: the fault mode did not work")
	}
	last := lastPasswords(t, manifest+".secrets.csv", nil)
	for i := 1; i <= users; i++ {
		name := fmt.Sprintf("user%06d", i)
		_, err := e.client.AdminInitiateAuth(t.Context(), &cip.AdminInitiateAuthInput{
			UserPoolId: aws.String(pool), ClientId: aws.String(client),
			AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": last[name].Password},
		})
		if err != nil || last[name].Status != report.SecretApplied {
			t.Errorf("%s: last secrets record %q does not sign in: %v", name, last[name].Status, err)
		}
	}
	t.Logf("%d of %d rows settled as applied by an earlier attempt", applied, users)
}
