package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/cognito/policy"
	"cogpass/emulator"
	"cogpass/input"
	"cogpass/report"
)

const faultPool = "us-east-1_Fault"

// faultProxy stands between the SDK and the emulator. The first request of
// each user (by Username or AccessToken) for operation op is passed on and
// applied, then its answer is replaced by the fault mode's:
//
//	500       HTTP 500 InternalErrorException
//	drop      the connection is closed without an answer
//	garbage   HTTP 200 with a body that is not JSON
//	truncated HTTP 200 whose body stops short of its Content-Length
//	trickle   HTTP 200 whose body starts and then never ends (the client
//	          times out while reading it)
type faultProxy struct {
	target, op, mode string
	mu               sync.Mutex
	seen             map[string]bool
	faults           int
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

	var in struct{ Username, AccessToken string }
	json.Unmarshal(body, &in)
	key := in.Username + in.AccessToken
	p.mu.Lock()
	fault := strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+p.op) && resp.StatusCode == 200 && !p.seen[key]
	if fault {
		p.seen[key] = true
		p.faults++
	}
	p.mu.Unlock()
	if !fault {
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
		return
	}
	switch p.mode {
	case "500":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(500)
		io.WriteString(w, `{"__type":"InternalErrorException","message":"An internal error occurred."}`)
	case "drop":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case "garbage":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		io.WriteString(w, "<html><body>Bad Gateway</body></html>")
	case "truncated":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, `{"Us`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	case "trickle":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(200)
		io.WriteString(w, `{`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}
}

// faultEnv is an emulator with one pool and n users (u1..un, password
// Seeded-Passw0rd!), behind a fault proxy, and an SDK client of each.
type faultEnv struct {
	srv    *emulator.Server
	proxy  *faultProxy
	api    *cip.Client // through the proxy, with a 1 s client timeout
	direct *cip.Client // to the emulator
	client string      // app client allowing password sign-in
}

func newFaultEnv(t *testing.T, n, history int, op, mode string) *faultEnv {
	t.Helper()
	srv := emulator.New(emulator.Options{})
	pol := policy.Default()
	pol.PasswordHistorySize = history
	if err := srv.CreatePool(emulator.PoolConfig{ID: faultPool, Policy: pol}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if err := srv.AddUser(faultPool, emulator.SeedUser{Username: fmt.Sprintf("u%d", i), Password: "Seeded-Passw0rd!"}); err != nil {
			t.Fatal(err)
		}
	}
	clientID, err := srv.CreateClient(emulator.ClientConfig{PoolID: faultPool})
	if err != nil {
		t.Fatal(err)
	}
	emu := httptest.NewServer(srv)
	t.Cleanup(emu.Close)
	p := &faultProxy{target: emu.URL, op: op, mode: mode, seen: map[string]bool{}}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	sdk := func(url string, timeout time.Duration) *cip.Client {
		return cip.NewFromConfig(aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
			HTTPClient:  cognito.OwnBody{Client: &http.Client{Timeout: timeout}},
		}, func(o *cip.Options) { o.BaseEndpoint = aws.String(url) })
	}
	return &faultEnv{srv: srv, proxy: p, api: sdk(front.URL, time.Second), direct: sdk(emu.URL, 10*time.Second), client: clientID}
}

func (e *faultEnv) signIn(user, password string) (*cip.InitiateAuthOutput, error) {
	return e.direct.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(e.client), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
	})
}

var faultModes = []string{"500", "drop", "garbage", "truncated", "trickle"}

// lastSecrets keeps the last password written per user, pending or not.
type lastSecrets struct {
	mu      sync.Mutex
	applied map[string]string
	pending map[string]string
}

func (s *lastSecrets) Write(_ int, user, pw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied[user] = pw
	return nil
}

func (s *lastSecrets) Pending(_ int, user, pw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[user] = pw
	return nil
}

func (s *lastSecrets) Refused(int, string) error { return nil }

func newLastSecrets() *lastSecrets {
	return &lastSecrets{applied: map[string]string{}, pending: map[string]string{}}
}

func checkApplied(t *testing.T, e *faultEnv, rep *memReport, sec *lastSecrets, n int) {
	t.Helper()
	rows := rep.byLine()
	if len(rows) != n {
		t.Fatalf("%d report rows, want %d", len(rows), n)
	}
	if e.proxy.faults != n {
		t.Errorf("%d answers faulted, want %d", e.proxy.faults, n)
	}
	for _, r := range rows {
		if r.Outcome != report.Succeeded || !strings.Contains(r.Message, "applied by an earlier attempt") {
			t.Errorf("line %d %s: %s %s %q, want succeeded, applied by an earlier attempt", r.Line, r.Username, r.Outcome, r.ErrorCode, r.Message)
		}
		pw := sec.applied[r.Username]
		if pw == "" || pw != sec.pending[r.Username] {
			t.Errorf("%s: password recorded %v, the same one pending before the call %v", r.Username, pw != "", pw == sec.pending[r.Username])
			continue
		}
		if out, err := e.signIn(r.Username, pw); err != nil || out.AuthenticationResult == nil {
			t.Errorf("%s cannot sign in with its recorded password: %v", r.Username, err)
		}
	}
}

// A set whose answer is lost after Cognito applied it is retried with the
// same password, which a pool with a password history refuses: the row
// succeeded, and its password is recorded and signs in.
func TestAmbiguousSetInPoolWithHistory(t *testing.T) {
	for _, mode := range faultModes {
		t.Run(mode, func(t *testing.T) {
			const n = 3
			e := newFaultEnv(t, n, 3, "AdminSetUserPassword", mode)
			cfg := baseConfig(Set)
			cfg.UserPoolID, cfg.Permanent = faultPool, true
			rep, sec := &memReport{}, newLastSecrets()
			var b strings.Builder
			b.WriteString("username\n")
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, "u%d\n", i)
			}
			if _, err := Run(t.Context(), cfg, e.api, rowsOf(t, b.String()), rep, sec); err != nil {
				t.Fatalf("job stopped: %v", err)
			}
			checkApplied(t, e, rep, sec, n)
		})
	}
}

// A change whose answer is lost after Cognito applied it is retried with the
// old previous password, which Cognito refuses (NotAuthorizedException):
// the proposed password, tried as the previous one, settles it.
func TestAmbiguousChange(t *testing.T) {
	for _, history := range []int{0, 3} {
		for _, mode := range faultModes {
			t.Run(fmt.Sprintf("history %d/%s", history, mode), func(t *testing.T) {
				const n = 3
				e := newFaultEnv(t, n, history, "ChangePassword", mode)
				var b strings.Builder
				for i := 1; i <= n; i++ {
					user := fmt.Sprintf("u%d", i)
					out, err := e.signIn(user, "Seeded-Passw0rd!")
					if err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(&b, `{"username":%q,"access_token":%q,"previous_password":"Seeded-Passw0rd!"}`+"\n", user, aws.ToString(out.AuthenticationResult.AccessToken))
				}
				rows, err := input.NewReader(strings.NewReader(b.String()), input.FormatJSONL, input.Options{})
				if err != nil {
					t.Fatal(err)
				}
				cfg := baseConfig(Change)
				cfg.UserPoolID = faultPool
				rep, sec := &memReport{}, newLastSecrets()
				if _, err := Run(t.Context(), cfg, e.api, rows, rep, sec); err != nil {
					t.Fatalf("job stopped: %v", err)
				}
				checkApplied(t, e, rep, sec, n)
			})
		}
	}
}

// recordingSecrets records what the runner tells the secrets file.
type recordingSecrets struct {
	mu     sync.Mutex
	events []string
}

func (s *recordingSecrets) add(e string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return nil
}
func (s *recordingSecrets) Write(_ int, u, _ string) error   { return s.add("applied " + u) }
func (s *recordingSecrets) Pending(_ int, u, _ string) error { return s.add("pending " + u) }
func (s *recordingSecrets) Refused(_ int, u string) error    { return s.add("refused " + u) }

// A row whose every answer was lost may have been applied: it fails with a
// retryable code (a resume sends it again) and its password stays pending.
// A row Cognito refused outright marks its password refused.
func TestUnsettledAndRefusedRows(t *testing.T) {
	for _, tt := range []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
		want     []string
	}{
		{"every answer lost", apiErr("InternalErrorException", "oops"), "InternalErrorException", "may have been applied", []string{"pending u001"}},
		{"refused", apiErr("InvalidPasswordException", "too short"), "InvalidPasswordException", "too short", []string{"pending u001", "refused u001"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := &fakeAPI{t: t, set: func(*cip.AdminSetUserPasswordInput) error { return tt.err }}
				rep, sec := &memReport{}, &recordingSecrets{}
				if _, err := Run(t.Context(), baseConfig(Set), api, rowsOf(t, "username\nu001\n"), rep, sec); err != nil {
					t.Fatal(err)
				}
				rows := rep.byLine()
				if len(rows) != 1 || rows[0].Outcome != report.Failed || rows[0].ErrorCode != tt.wantCode || !strings.Contains(rows[0].Message, tt.wantMsg) {
					t.Fatalf("rows %+v, want one failed %s %q", rows, tt.wantCode, tt.wantMsg)
				}
				if fmt.Sprint(sec.events) != fmt.Sprint(tt.want) {
					t.Errorf("secrets events %v, want %v", sec.events, tt.want)
				}
			})
		})
	}
}
