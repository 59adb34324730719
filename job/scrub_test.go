package job

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// scrub removes a secret in every form a server can echo it in.
func TestScrubEveryEncoding(t *testing.T) {
	const pw = `Pa"ss\w<0>&rd %+é`
	body, _ := json.Marshal(map[string]string{"Password": pw})
	twice, _ := json.Marshal(string(body))
	forms := map[string]string{
		"raw":                         pw,
		"json":                        string(body),
		"json twice":                  string(twice),
		"csv":                         `"` + strings.ReplaceAll(pw, `"`, `""`) + `"`,
		"query":                       url.QueryEscape(pw),
		"path":                        url.PathEscape(pw),
		"query of json":               url.QueryEscape(string(body)),
		"aws json (no html escaping)": `{"Password":"Pa\"ss\\w<0>&rd %+é"}`,
	}
	for name, msg := range forms {
		got := scrub("server said: "+msg, "", pw)
		if !strings.Contains(got, scrubbed) {
			t.Errorf("%s: nothing scrubbed in %q", name, got)
		}
		for _, frag := range []string{`ss\`, `ss\\`, `Pa"ss`, "rd %", "rd+%25", "Pa%22ss"} {
			if strings.Contains(got, frag) {
				t.Errorf("%s: %q left in %q", name, frag, got)
			}
		}
	}
	if got := scrub("nothing here", pw); got != "nothing here" {
		t.Errorf("a message without the secret changed: %q", got)
	}
}

// A missing pool's answer, repeated to that pool's later rows, carries no
// password of the row whose call received it.
func TestGonePoolMessageScrubbed(t *testing.T) {
	api := &fakeAPI{t: t, set: func(in *cip.AdminSetUserPasswordInput) error {
		body, _ := json.Marshal(in)
		return apiErr("ResourceNotFoundException", "User pool does not exist: "+string(body))
	}}
	cfg := baseConfig(Set)
	cfg.Concurrency, cfg.IncludeFederated = 1, true
	m := "username,password,user_pool_id\n" +
		`user1,"Gone""Pw\1-first",us-east-1_Other` + "\n" +
		`user2,"Gone""Pw\2-second",us-east-1_Other` + "\n"
	rep := &memReport{}
	if _, err := Run(t.Context(), cfg, api, rowsOf(t, m), rep, &memSecrets{}); err != nil {
		t.Fatal(err)
	}
	rows := rep.byLine()
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	for _, r := range rows {
		if r.ErrorCode != "ResourceNotFoundException" {
			t.Fatalf("line %d: %s %s, want ResourceNotFoundException", r.Line, r.ErrorCode, r.Message)
		}
		for _, frag := range []string{"-first", "-second", `Pw\`} {
			if strings.Contains(r.Message, frag) {
				t.Errorf("line %d: %q in %q", r.Line, frag, r.Message)
			}
		}
	}
}
