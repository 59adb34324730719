package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/cognito/policy"
	"cogpass/emulator"
)

const policyPool = "us-east-1_Policy"

// strictPolicy differs from Cognito's default in every field, so that a
// field read from the wrong place shows.
var strictPolicy = policy.Policy{MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true,
	RequireSymbols: false, TemporaryPasswordValidityDays: 3, PasswordHistorySize: 5}

func newPolicyEnv(t *testing.T) string {
	t.Helper()
	srv := emulator.New(emulator.Options{Seed: 9})
	if err := srv.CreatePool(emulator.PoolConfig{ID: policyPool, Policy: strictPolicy, EmailSendingAccount: "DEVELOPER"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Default"}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	setTestAWSEnv(t)
	return hs.URL
}

func TestPolicyText(t *testing.T) {
	url := newPolicyEnv(t)
	code, stdout, stderr := cli(t, "policy", "--user-pool-id", policyPool, "--endpoint-url", url, "--sample", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"User pool:                  us-east-1_Policy\n",
		"Minimum length:             12\n",
		"Require uppercase:          yes\n",
		"Require symbols:            no\n",
		"Temporary passwords valid:  3 days\n",
		"the last 5 passwords cannot be reused",
		"E-mail sender:              DEVELOPER\n",
		"Symbols cogpass uses:       " + policy.Symbols + "\n",
		"Generated length:           16\n",
		"Samples:\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	samples := strings.Split(strings.TrimSpace(stdout[strings.Index(stdout, "Samples:\n")+len("Samples:\n"):]), "\n")
	if len(samples) != 5 {
		t.Fatalf("%d samples: %q", len(samples), samples)
	}
	for _, s := range samples {
		pw := strings.TrimSpace(s)
		if len(pw) != 16 || strictPolicy.Check(pw) != nil || policy.CheckField(pw) != nil {
			t.Errorf("sample %q does not comply", pw)
		}
	}

	// The default pool: COGNITO_DEFAULT gets its warning, no history line,
	// and --password-length sets the length.
	code, stdout, stderr = cli(t, "policy", "--user-pool-id", "us-east-1_Default", "--endpoint-url", url, "--sample", "2", "--password-length", "24")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "COGNITO_DEFAULT (Cognito's own sender") || strings.Contains(stdout, "Password history") ||
		!strings.Contains(stdout, "Generated length:           24\n") {
		t.Errorf("default pool:\n%s", stdout)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if pw, ok := strings.CutPrefix(line, "  "); ok && (len(pw) != 24 || policy.Default().Check(pw) != nil) {
			t.Errorf("sample %q", pw)
		}
	}
}

// `cogpass policy --output json` is a --policy-file.
func TestPolicyJSONRoundTrip(t *testing.T) {
	url := newPolicyEnv(t)
	code, stdout, stderr := cli(t, "policy", "--user-pool-id", policyPool, "--endpoint-url", url, "--output", "json", "--sample", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	for _, key := range []string{"PasswordPolicy", "EmailSendingAccount", "GeneratedLength", "Symbols"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("no %s in %s", key, stdout)
		}
	}
	var got policyDoc
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.EmailSendingAccount != "DEVELOPER" || got.GeneratedLength != 16 || got.Symbols != policy.Symbols || len(got.Samples) != 2 {
		t.Errorf("doc %+v", got)
	}
	parsed, err := policy.Parse([]byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if parsed != strictPolicy {
		t.Errorf("policy.Parse read %+v, want %+v", parsed, strictPolicy)
	}

	// An offline dry run with the file applies the pool's policy, not
	// Cognito's default: a 12-character password without a symbol is fine
	// there, an 8-character one with all four classes is not.
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.json")
	manifest := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(policyFile, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte("username,password\nlong,Abcdefgh1234\nshort,Abc!1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reportPath := filepath.Join(dir, "report.csv")
	code, _, stderr = cli(t, "set", "--user-pool-id", policyPool, "--manifest", manifest, "--dry-run", "--offline", "--policy-file", policyFile, "--report", reportPath, "--yes")
	if code != exitRowsFailed {
		t.Fatalf("offline dry run: exit %d, want %d: %s", code, exitRowsFailed, stderr)
	}
	outcomes := map[string]string{}
	for _, r := range readCSVFile(t, reportPath) {
		outcomes[r["username"]] = r["outcome"] + " " + r["error_code"]
	}
	if outcomes["long"] != "planned " || !strings.HasPrefix(outcomes["short"], "failed") {
		t.Errorf("outcomes %v: the policy file was not applied", outcomes)
	}
}

func TestPolicyErrors(t *testing.T) {
	url := newPolicyEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no pool", []string{"--endpoint-url", url}, exitUsage, "--user-pool-id is required"},
		{"bad output", []string{"--user-pool-id", policyPool, "--endpoint-url", url, "--output", "yaml"}, exitUsage, `--output "yaml"`},
		{"negative sample", []string{"--user-pool-id", policyPool, "--endpoint-url", url, "--sample", "-1"}, exitUsage, "--sample"},
		{"too many samples", []string{"--user-pool-id", policyPool, "--endpoint-url", url, "--sample", "1001"}, exitUsage, "--sample"},
		{"length under the pool's minimum", []string{"--user-pool-id", policyPool, "--endpoint-url", url, "--password-length", "10"}, exitUsage, "below the pool's minimum of 12"},
		{"unknown pool", []string{"--user-pool-id", "us-east-1_Nope", "--endpoint-url", url}, exitStoppedEarly, "check --user-pool-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"policy"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q on an error", stdout)
			}
		})
	}
}
