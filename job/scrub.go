package job

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// scrubbed replaces a secret in a message.
const scrubbed = "[password]"

// scrub keeps secrets out of a message that may carry a server's text,
// whatever the server echoed: each secret raw and in every encoding it can
// come back in. A server that echoes the request body puts it back
// JSON-escaped (the SDK's AWS JSON encoder escapes " and \ and control
// characters; Go's encoding/json also <, > and &), perhaps JSON-escaped
// twice when its own error is JSON; a CSV cell doubles its quotes; a URL
// percent-encodes it; and any of these may be applied to another. Longer forms go first, so that no partial
// replacement hides a longer one.
func scrub(msg string, secrets ...string) string {
	if msg == "" {
		return msg
	}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		// Two layers: an echoed JSON body holds the JSON-escaped secret,
		// and that body may come back escaped or encoded once more.
		for _, f := range encodings(s) {
			forms = append(forms, encodings(f)...)
		}
	}
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	for _, f := range slices.Compact(forms) {
		if f != "" {
			msg = strings.ReplaceAll(msg, f, scrubbed)
		}
	}
	return msg
}

// encodings are the forms of s a message may hold: raw, JSON-escaped as
// AWS JSON and as Go's encoding/json do it, CSV-quoted, URL-encoded.
func encodings(s string) []string {
	return []string{s, jsonEscape(s, false), jsonEscape(s, true),
		strings.ReplaceAll(s, `"`, `""`), url.QueryEscape(s), url.PathEscape(s)}
}

// jsonEscape is s as it appears between the quotes of a JSON string.
func jsonEscape(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// rowSecrets are the secrets of the rows whose calls are in flight, by
// manifest line, so that a message made far from the row (a job-fatal
// error raised by a call) is scrubbed as the row's own messages are.
type rowSecrets struct{ m sync.Map }

// add registers a row's secrets until the returned function is called.
func (s *rowSecrets) add(line int, secrets ...string) func() {
	s.m.Store(line, secrets)
	return func() { s.m.Delete(line) }
}

// of returns the secrets of line, if any are registered.
func (s *rowSecrets) of(line int) []string {
	v, ok := s.m.Load(line)
	if !ok {
		return nil
	}
	return v.([]string)
}

// all returns the secrets of every row in flight: for a message that
// outlives its row (a missing pool's answer, repeated to that pool's later
// rows) when the row is not known where the message is kept.
func (s *rowSecrets) all() []string {
	var out []string
	s.m.Range(func(_, v any) bool {
		out = append(out, v.([]string)...)
		return true
	})
	return out
}
