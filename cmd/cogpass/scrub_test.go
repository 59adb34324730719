package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An endpoint that echoes the request body in its error messages never gets
// a password onto stderr, into the summary or into the report, in any
// encoding: not in a row's message (InvalidPasswordException) and not in
// the job-fatal error that stops the job (AccessDeniedException).
func TestEchoedPasswordsAreScrubbed(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	const pw1, pw2 = `Qa1"x\y<z>&w-first`, `Qb2"p\q<r>&s-second`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
		code := "InvalidPasswordException"
		if strings.Contains(string(body), "user2") {
			code = "AccessDeniedException" // job-fatal
		}
		msg := op + " refused " + string(body) + " form=" + url.QueryEscape(string(body))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	manifest := filepath.Join(dir, "users.jsonl")
	var m strings.Builder
	for _, r := range []map[string]string{{"username": "user1", "password": pw1}, {"username": "user2", "password": pw2}} {
		line, _ := json.Marshal(r)
		m.Write(line)
		m.WriteString("\n")
	}
	os.WriteFile(manifest, []byte(m.String()), 0o600)
	policyFile := filepath.Join(dir, "policy.json")
	os.WriteFile(policyFile, []byte(`{"MinimumLength": 8}`), 0o600)
	reportPath := filepath.Join(dir, "report.jsonl")
	summaryPath := filepath.Join(dir, "summary.json")

	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", srv.URL,
		"--policy-file", policyFile, "--include-federated", "--concurrency", "1", "--max-attempts", "1", "--yes",
		"--report", reportPath, "--summary-json", summaryPath, "--log-format", "json")
	if code != exitStoppedEarly {
		t.Fatalf("exit %d, want 3 (AccessDeniedException is job-fatal); stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, "refused") {
		t.Fatalf("stderr does not carry the endpoint's fatal message, so the test proves nothing:\n%s", stderr)
	}
	rep, _ := os.ReadFile(reportPath)
	sum, _ := os.ReadFile(summaryPath)
	if !strings.Contains(string(rep), "refused") || !strings.Contains(string(sum), "refused") {
		t.Fatalf("report or summary lack the echoed message:\nreport %s\nsummary %s", rep, sum)
	}
	// --log-format json escapes \ and " in every line, the final error
	// line too: look for the passwords in the lines' text as well.
	unescaped := strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(stderr)
	for name, text := range map[string]string{"stderr": stderr, "stderr, unescaped": unescaped, "report": string(rep), "summary": string(sum)} {
		for _, pw := range []string{pw1, pw2} {
			for _, part := range []string{pw, `x\y`, `p\q`, `a1"x`, `b2"p`, "-first", "-second"} {
				if strings.Contains(text, part) {
					t.Errorf("%s holds %q of a password:\n%s", name, part, text)
				}
			}
		}
	}
}
