package job

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/input"
)

// TestChangeOmitsAnEmptyPreviousPassword: a passwordless user has no
// previous password; PreviousPassword is then left out of the call (nil),
// not refused and not sent as "".
func TestChangeOmitsAnEmptyPreviousPassword(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		prev := map[string]*string{}
		api := &fakeAPI{t: t, change: func(in *cip.ChangePasswordInput) error {
			mu.Lock()
			defer mu.Unlock()
			prev[*in.AccessToken] = in.PreviousPassword
			return nil
		}}
		var b strings.Builder
		b.WriteString(`{"username":"passwordless","access_token":"tok1","previous_password":"","proposed_password":"Chosen-Passw0rd!"}` + "\n")
		b.WriteString(`{"username":"nocolumn","access_token":"tok2","proposed_password":"Chosen-Passw0rd!"}` + "\n")
		b.WriteString(`{"username":"haspassword","access_token":"tok3","previous_password":"Old-Passw0rd!","proposed_password":"Chosen-Passw0rd!"}` + "\n")
		b.WriteString(`{"username":"notoken","previous_password":"Old-Passw0rd!"}` + "\n")
		rep := &memReport{}
		cfg := baseConfig(Change)
		cfg.UserPoolID = ""
		if _, err := Run(t.Context(), cfg, api, rowsOfJSONL(t, b.String()), rep, &memSecrets{}); err != nil {
			t.Fatal(err)
		}
		for tok, wantNil := range map[string]bool{"tok1": true, "tok2": true, "tok3": false} {
			p, ok := prev[tok]
			if !ok {
				t.Errorf("%s: no ChangePassword call", tok)
			} else if (p == nil) != wantNil {
				t.Errorf("%s: PreviousPassword %v, want nil %v", tok, p, wantNil)
			}
		}
		if p := prev["tok3"]; p != nil && *p != "Old-Passw0rd!" {
			t.Errorf("tok3: PreviousPassword %q", *p)
		}
		got := map[string]string{}
		for _, r := range rep.byLine() {
			got[r.Username] = fmt.Sprintf("%s/%s", r.Outcome, r.ErrorCode)
		}
		want := map[string]string{"passwordless": "succeeded/", "nocolumn": "succeeded/", "haspassword": "succeeded/",
			"notoken": "failed/" + CodeInvalidManifestRow}
		for u, w := range want {
			if got[u] != w {
				t.Errorf("%s: %s, want %s", u, got[u], w)
			}
		}
	})
}

func rowsOfJSONL(t *testing.T, jsonl string) Rows {
	t.Helper()
	r, err := input.NewReader(strings.NewReader(jsonl), input.FormatJSONL, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
