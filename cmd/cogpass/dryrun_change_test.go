package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cogpass/emulator"
	"cogpass/report"
)

// TestChangeDryRunPlansWithoutLookUp: a change row names its user by access
// token, not by pool, so its dry run looks nobody up (before, every row
// failed with AdminGetUser's "Value null at 'userPoolId'" without
// --user-pool-id, and exit 3 without credentials). It checks what it can
// without sending: the token's presence and, with --user-pool-id, the
// proposed password against the pool's policy (DescribeUserPool); and it
// needs credentials only where the real run does (to read a pool).
func TestChangeDryRunPlansWithoutLookUp(t *testing.T) {
	tests := []struct {
		name        string
		pool        bool // --user-pool-id
		noCreds     bool
		code        int
		outcomes    map[string]string // username -> outcome/code
		describe    int64             // DescribeUserPool calls
		wantMessage string            // user000001's message
	}{
		{name: "no pool", code: exitRowsFailed,
			outcomes:    map[string]string{"user000001": "planned/", "user000002": "planned/", "notoken": "failed/InvalidManifestRow"},
			wantMessage: "would change the password to the supplied password with the access token; the token is checked by the real run only"},
		{name: "no pool, no credentials", noCreds: true, code: exitRowsFailed,
			outcomes: map[string]string{"user000001": "planned/", "user000002": "planned/", "notoken": "failed/InvalidManifestRow"}},
		{name: "pool: the policy is checked", pool: true, code: exitRowsFailed, describe: 1,
			outcomes: map[string]string{"user000001": "planned/", "user000002": "failed/InvalidPasswordException", "notoken": "failed/InvalidManifestRow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newJobEmulator(t, 2, emulator.Options{})
			tok1, _ := e.signInTokens(t, "user000001")
			tok2, _ := e.signInTokens(t, "user000002")
			var b strings.Builder
			fmt.Fprintf(&b, `{"username":"user000001","access_token":%q,"previous_password":"Seeded-Passw0rd!","proposed_password":"Chosen-By-User-1"}`+"\n", tok1)
			// Long enough for Cognito's default policy, but no digit or
			// symbol: refused by the pool's policy (the emulator's is
			// Cognito's default).
			proposed2 := "ChosenByUserTwo"
			if !tt.pool {
				proposed2 = "Chosen-By-User-2"
			}
			fmt.Fprintf(&b, `{"username":"user000002","access_token":%q,"previous_password":"Seeded-Passw0rd!","proposed_password":%q}`+"\n", tok2, proposed2)
			b.WriteString(`{"username":"notoken","previous_password":"Seeded-Passw0rd!","proposed_password":"Chosen-By-User-3"}` + "\n")
			manifest := filepath.Join(t.TempDir(), "tokens.jsonl")
			if err := os.WriteFile(manifest, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.noCreds {
				t.Setenv("AWS_ACCESS_KEY_ID", "")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "")
				t.Setenv("AWS_PROFILE", "")
				t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
				t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
			}
			args := []string{"change", "--manifest", manifest, "--endpoint-url", e.url, "--dry-run", "--report", manifest + ".report.jsonl"}
			if tt.pool {
				args = append(args, "--user-pool-id", testPool)
			}
			code, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			got := map[string]string{}
			for _, r := range readReport(t, manifest+".report.jsonl") {
				got[r.Username] = fmt.Sprintf("%s/%s", r.Outcome, r.ErrorCode)
				if r.Username == "user000001" && tt.wantMessage != "" && r.Message != tt.wantMessage {
					t.Errorf("user000001: message %q, want %q", r.Message, tt.wantMessage)
				}
				if r.Outcome == report.Failed && strings.Contains(r.Message, "userPoolId") {
					t.Errorf("%s: %s", r.Username, r.Message)
				}
			}
			for u, w := range tt.outcomes {
				if got[u] != w {
					t.Errorf("%s: %s, want %s", u, got[u], w)
				}
			}
			if n := e.writes("AdminGetUser"); n != 0 {
				t.Errorf("%d AdminGetUser calls, want none: a token names the user", n)
			}
			if n := e.writes("ChangePassword"); n != 0 {
				t.Errorf("%d ChangePassword calls in a dry run", n)
			}
			if n := e.writes("DescribeUserPool"); n != tt.describe {
				t.Errorf("%d DescribeUserPool calls, want %d", n, tt.describe)
			}
		})
	}
}
