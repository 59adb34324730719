package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"cogpass/emulator"
	"cogpass/report"
)

// TestChangeWithoutPreviousPassword: an empty previous_password is not a
// bad row: PreviousPassword is optional ("Required if the user has a
// password", API reference, ChangePassword), so the call goes out without
// the field (absent, not ""). The emulator, like Cognito, refuses it for a
// user who has a password, and the row fails with that answer; the
// password stays.
func TestChangeWithoutPreviousPassword(t *testing.T) {
	e := newJobEmulator(t, 2, emulator.Options{})
	var mu sync.Mutex
	sent := map[string]map[string]any{} // access token -> request fields
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ChangePassword") {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err == nil {
				mu.Lock()
				sent[fmt.Sprint(m["AccessToken"])] = m
				mu.Unlock()
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	token := func(user string) string {
		out, err := e.signIn(user, "Seeded-Passw0rd!")
		if err != nil || out.AuthenticationResult == nil {
			t.Fatalf("sign in %s: %v", user, err)
		}
		return aws.ToString(out.AuthenticationResult.AccessToken)
	}
	tok1, tok2 := token("user000001"), token("user000002")
	var b strings.Builder
	fmt.Fprintf(&b, `{"username":"user000001","access_token":%q,"previous_password":"","proposed_password":"Chosen-By-User-1"}`+"\n", tok1)
	fmt.Fprintf(&b, `{"username":"user000002","access_token":%q,"previous_password":"Seeded-Passw0rd!","proposed_password":"Chosen-By-User-2"}`+"\n", tok2)
	manifest := filepath.Join(t.TempDir(), "tokens.jsonl")
	if err := os.WriteFile(manifest, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "change", "--manifest", manifest, "--endpoint-url", proxy.URL, "--rate", "2000", "--yes", "--report", manifest+".report.jsonl")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want 1 (user000001 has a password); stderr:\n%s", code, stderr)
	}
	rows := readReport(t, manifest+".report.jsonl")
	if len(rows) != 2 {
		t.Fatalf("%d report rows, want 2", len(rows))
	}
	for _, r := range rows {
		switch r.Username {
		case "user000001":
			if r.Outcome != report.Failed || r.ErrorCode != "NotAuthorizedException" || r.Attempts != 1 {
				t.Errorf("user000001: %s %s attempts %d, want failed NotAuthorizedException after 1 call", r.Outcome, r.ErrorCode, r.Attempts)
			}
		case "user000002":
			if r.Outcome != report.Succeeded {
				t.Errorf("user000002: %s %s %s", r.Outcome, r.ErrorCode, r.Message)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if m, ok := sent[tok1]; !ok {
		t.Error("no ChangePassword call for user000001")
	} else if _, has := m["PreviousPassword"]; has {
		t.Errorf("user000001's call holds PreviousPassword %q; an empty one must be absent", m["PreviousPassword"])
	}
	if m := sent[tok2]; m == nil || m["PreviousPassword"] != "Seeded-Passw0rd!" {
		t.Errorf("user000002's call: %v", m != nil)
	}
	// Refused: user000001 keeps its password.
	if _, err := e.signIn("user000001", "Seeded-Passw0rd!"); err != nil {
		t.Errorf("user000001 cannot sign in with its old password: %v", err)
	}
}
