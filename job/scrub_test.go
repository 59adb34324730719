package job

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
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
