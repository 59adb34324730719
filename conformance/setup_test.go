//go:build conformance

package conformance

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Environment set by scripts/conformance.sh.
const (
	// envBackends lists the running endpoints, space-separated NAME=URL
	// pairs: cognito-local=http://127.0.0.1:P1 moto=http://127.0.0.1:P2
	// cogpass-emulator=http://127.0.0.1:P3. Every test runs once per
	// backend, as a subtest named after it.
	envBackends = "CONFORMANCE_BACKENDS"
	envBin      = "COGPASS_BIN" // absolute path of the cogpass binary under test
)

// The endpoints the suite knows. Where they answer differently (see
// docs/conformance.md) the tests expect each one's own answer exactly, so
// that a new version that changes one is noticed. Against cogpass's own
// emulator the suite is a cross-check: the same steps, with Cognito's
// answers.
const (
	targetCognitoLocal = "cognito-local"
	targetMoto         = "moto"
	targetEmulator     = "cogpass-emulator"
)

// backend is one running endpoint and the counting proxy in front of it.
type backend struct {
	name, url string
	proxy     *countingProxy
}

var (
	backends   []*backend
	cogpassBin string

	// The backend under test. The per-backend subtests run one after the
	// other (never in parallel), and forEachBackend points these at the
	// backend of the running one.
	cognitoURL string         // the endpoint itself: the tests' own SDK calls go here
	target     string         // its name: targetCognitoLocal, ...
	proxy      *countingProxy // cogpass's calls go through it, to be counted
)

func TestMain(m *testing.M) {
	cogpassBin = os.Getenv(envBin)
	list := strings.Fields(os.Getenv(envBackends))
	if len(list) == 0 || cogpassBin == "" {
		// Never a silent pass: without a server there is nothing to test.
		fmt.Fprintf(os.Stderr, "conformance: %s and %s must be set; run 'make conformance' (scripts/conformance.sh), which installs and starts the backends\n", envBackends, envBin)
		os.Exit(1)
	}
	if _, err := os.Stat(cogpassBin); err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %s=%s: %v\n", envBin, cogpassBin, err)
		os.Exit(1)
	}
	for _, kv := range list {
		name, u, ok := strings.Cut(kv, "=")
		switch {
		case !ok || u == "":
			fmt.Fprintf(os.Stderr, "conformance: %s: %q is not NAME=URL\n", envBackends, kv)
			os.Exit(1)
		case name != targetCognitoLocal && name != targetMoto && name != targetEmulator:
			fmt.Fprintf(os.Stderr, "conformance: %s: backend %q: want %s, %s or %s\n", envBackends, name, targetCognitoLocal, targetMoto, targetEmulator)
			os.Exit(1)
		}
		p, err := startProxy(u)
		if err != nil {
			fmt.Fprintf(os.Stderr, "conformance: start the counting proxy for %s: %v\n", name, err)
			os.Exit(1)
		}
		backends = append(backends, &backend{name: name, url: u, proxy: p})
	}
	code := m.Run()
	for _, b := range backends {
		b.proxy.close()
	}
	os.Exit(code)
}

// forEachBackend runs fn as a subtest per backend, one after the other,
// with cognitoURL, target and proxy pointing at it.
func forEachBackend(t *testing.T, fn func(t *testing.T)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cognitoURL, target, proxy = b.url, b.name, b.proxy
			fn(t)
		})
	}
}

// newClient is the tests' own SDK client, straight to cognito-local (not
// through the proxy, so that only cogpass's calls are counted), with static
// credentials: cognito-local checks no signature.
func newClient() *cip.Client {
	return cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(cognitoURL),
		Credentials:  credentials.NewStaticCredentialsProvider("conformance", "conformance", ""),
	})
}

// countingProxy sits between cogpass and cognito-local and counts calls by
// operation (from X-Amz-Target), so that a test can say how many calls a
// job made: none for a dry run's writes, a handful for a job stopped by an
// unsupported operation.
type countingProxy struct {
	URL string
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	calls    map[string]int
	unsigned map[string]int // calls without an Authorization header
	status   map[string]int // "Op 500" -> count
	fields   map[string]int // "Op.Field" -> calls whose request had the field
}

func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{URL: "http://" + ln.Addr().String(), ln: ln}
	p.reset()
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		// The top-level fields of the request, by name: whether cogpass sent
		// a field at all (an absent PreviousPassword is not an empty one).
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var fields map[string]json.RawMessage
		json.Unmarshal(body, &fields)
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		p.calls[op]++
		for f := range fields {
			p.fields[op+"."+f]++
		}
		if r.Header.Get("Authorization") == "" {
			p.unsigned[op]++
		}
		if rec.code != http.StatusOK {
			p.status[fmt.Sprintf("%s %d", op, rec.code)]++
		}
		p.mu.Unlock()
	})}
	go p.srv.Serve(ln)
	return p, nil
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (p *countingProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.unsigned, p.status, p.fields = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
}

// snapshot returns the counts since the last reset.
func (p *countingProxy) snapshot() (calls, unsigned, status, fields map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps(p.calls), maps(p.unsigned), maps(p.status), maps(p.fields)
}

func maps(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (p *countingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

// result is one run of the cogpass binary.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	calls          map[string]int // by operation, through the proxy
	unsigned       map[string]int
	status         map[string]int
	fields         map[string]int // "Op.Field" -> calls that sent the field
}

// cogpass runs the binary in dir against cognito-local (through the
// counting proxy), with an environment of its own: dummy static
// credentials, and no shared AWS config from the machine running the tests.
func cogpass(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	proxy.reset()
	cmd := exec.CommandContext(ctx, cogpassBin, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TMPDIR=" + dir,
		"AWS_ACCESS_KEY_ID=conformance",
		"AWS_SECRET_ACCESS_KEY=conformance",
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	res.calls, res.unsigned, res.status, res.fields = proxy.snapshot()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	case ctx.Err() != nil:
		t.Fatalf("cogpass %s: still running after 90s (killed)\nstderr:\n%s", strings.Join(args, " "), res.stderr)
	default:
		t.Fatalf("cogpass %s: %v\nstderr:\n%s", strings.Join(args, " "), err, res.stderr)
	}
	t.Logf("cogpass %s: exit %d in %v; calls %v", args[0], res.code, res.elapsed.Round(time.Millisecond), res.calls)
	// Real Cognito takes only a few operations without SigV4 (those a
	// user's token authorizes); cognito-local, like cogpass's own
	// emulator, checks no signature, so an unsigned admin call would pass
	// here and fail against AWS.
	// They are collected and reported by the last step, so that the steps
	// after this one still run.
	for op, n := range res.unsigned {
		if !tokenAuthorized[op] {
			unsignedMu.Lock()
			unsignedCalls = append(unsignedCalls, fmt.Sprintf("%s (step %s): %d of %d %s calls unsigned", args[0], t.Name(), n, res.calls[op], op))
			unsignedMu.Unlock()
		}
	}
	return res
}

var (
	unsignedMu    sync.Mutex
	unsignedCalls []string // admin calls cogpass sent without SigV4
)

// tokenAuthorized are the operations of cogpass that Cognito authorizes with
// a user's token instead of SigV4, and which the SDK sends unsigned.
var tokenAuthorized = map[string]bool{"ChangePassword": true}

// expectExit fails the test unless the run ended with want.
func (r result) expectExit(t *testing.T, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

// reportRow is a row of cogpass's CSV report (README, "Report").
type reportRow struct {
	Line       string
	Username   string
	Action     string
	Outcome    string
	ErrorCode  string
	Message    string
	Attempts   string
	UserStatus string
}

var reportHeader = []string{"line", "username", "action", "outcome", "error_code", "message", "attempts", "user_status", "duration_ms", "finished_at"}

// readReport reads a CSV report by column name: every column of
// reportHeader must be there; columns added since (signed_out, ...) are
// allowed, so that a new column does not break the suite.
func readReport(t *testing.T, path string) []reportRow {
	t.Helper()
	recs := readCSV(t, path)
	if len(recs) == 0 {
		t.Fatalf("%s: empty report", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range reportHeader {
		if _, ok := col[h]; !ok {
			t.Fatalf("%s: header %q has no %s column (want at least %q)", path, recs[0], h, reportHeader)
		}
	}
	var rows []reportRow
	for i, r := range recs[1:] {
		if len(r) != len(recs[0]) {
			t.Fatalf("%s: row %d has %d fields, the header %d: %q", path, i+2, len(r), len(recs[0]), r)
		}
		if _, err := time.Parse(time.RFC3339, r[col["finished_at"]]); err != nil {
			t.Errorf("%s: row %d: finished_at %q: %v", path, i+2, r[col["finished_at"]], err)
		}
		get := func(h string) string { return r[col[h]] }
		rows = append(rows, reportRow{get("line"), get("username"), get("action"), get("outcome"), get("error_code"), get("message"), get("attempts"), get("user_status")})
	}
	return rows
}

func first(recs [][]string) []string {
	if len(recs) == 0 {
		return nil
	}
	return recs[0]
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// secret is a user's password in force, from the secrets file.
type secret struct{ line, username, password string }

// readSecrets reads a secrets file (docs/secrets.md): records
// line,username,password,status, where a user's password is that of its
// last record when that record is "applied" ("pending" is written before
// the call, "refused" after a refusal); files from before the status column
// (line,username,password) hold applied passwords only. After a finished
// job no user's last record may be pending.
func readSecrets(t *testing.T, path string) map[string]secret {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s: mode %o, want 600", path, mode)
	}
	type last struct {
		s      secret
		status string
	}
	byUser := map[string]last{}
	var order []string
	applied := map[string]int{} // applied records per user
	for i, r := range readCSV(t, path) {
		if i == 0 && len(r) >= 3 && r[0] == "line" && r[1] == "username" && r[2] == "password" {
			continue
		}
		status := "applied"
		switch len(r) {
		case 3:
		case 4:
			status = r[3]
		default:
			t.Fatalf("%s: record %d has %d fields", path, i+1, len(r))
		}
		if _, seen := byUser[r[1]]; !seen {
			order = append(order, r[1])
		}
		byUser[r[1]] = last{secret{r[0], r[1], r[2]}, status}
		if status == "applied" {
			applied[r[1]]++
		}
	}
	out := map[string]secret{}
	for _, u := range order {
		l := byUser[u]
		switch l.status {
		case "applied":
			out[u] = l.s
		case "refused":
		default:
			t.Errorf("%s: user %s: last record is %q after a finished job", path, u, l.status)
		}
		if applied[u] > 1 {
			t.Errorf("%s: user %s: %d applied passwords (a user is set once per job)", path, u, applied[u])
		}
	}
	return out
}

// tally counts report rows by action/outcome/error_code/user_status, the
// figures a test states exactly.
func tally(rows []reportRow) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r.Action+"/"+r.Outcome+"/"+r.ErrorCode+"/"+r.UserStatus]++
	}
	return m
}

func expectTally(t *testing.T, rows []reportRow, want map[string]int) {
	t.Helper()
	if got := tally(rows); !mapsEqual(got, want) {
		t.Errorf("report rows by action/outcome/error_code/user_status:\n got %v\nwant %v", got, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// expectCalls checks the calls cogpass made, by operation: want[op] is the
// exact count; an operation not in want must not have been called.
func expectCalls(t *testing.T, r result, want map[string]int) {
	t.Helper()
	if !mapsEqual(r.calls, want) {
		t.Errorf("calls by operation:\n got %v\nwant %v", r.calls, want)
	}
}

// passwordPolicy is the pool's policy, checked here independently of
// cogpass's own cognito/policy package.
type passwordPolicy struct {
	minLength                      int
	upper, lower, numbers, symbols bool
}

// cognitoSymbols is the symbol set Cognito documents for password policies.
const cognitoSymbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"

func (p passwordPolicy) check(pw string) error {
	var up, low, num, sym bool
	n := 0
	for _, c := range pw {
		n++
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			low = true
		case c >= '0' && c <= '9':
			num = true
		case strings.ContainsRune(cognitoSymbols, c):
			sym = true
		case unicode.IsSpace(c):
			return fmt.Errorf("white space")
		}
	}
	switch {
	case n < p.minLength:
		return fmt.Errorf("%d characters, the pool wants %d", n, p.minLength)
	case p.upper && !up:
		return errors.New("no upper-case letter")
	case p.lower && !low:
		return errors.New("no lower-case letter")
	case p.numbers && !num:
		return errors.New("no digit")
	case p.symbols && !sym:
		return errors.New("no symbol")
	}
	return nil
}

// writeFile writes a manifest.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// parallel runs fn for 0..n-1 on a few goroutines and returns the first
// error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// userStatuses reads every user's status with AdminGetUser.
func userStatuses(ctx context.Context, c *cip.Client, pool string, users []string) (map[string]types.UserStatusType, error) {
	var mu sync.Mutex
	out := make(map[string]types.UserStatusType, len(users))
	err := parallel(len(users), 8, func(i int) error {
		u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool, Username: &users[i]})
		if err != nil {
			return fmt.Errorf("AdminGetUser %s: %w", users[i], err)
		}
		mu.Lock()
		out[users[i]] = u.UserStatus
		mu.Unlock()
		return nil
	})
	return out, err
}
