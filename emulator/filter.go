package emulator

import (
	"strings"
)

// filter is a parsed ListUsers Filter: `ATTRIBUTE = "VALUE"` (exact match)
// or `ATTRIBUTE ^= "VALUE"` (prefix), with \" and \\ escapes in VALUE. The
// zero filter matches every user.
type filter struct {
	attr   string
	prefix bool
	value  string
}

// searchable lists the attributes Cognito's ListUsers can filter on.
// "status" is the Enabled flag ("Enabled" / "Disabled", case-sensitive);
// "cognito:user_status" is the user status (CONFIRMED, ..., case-insensitive).
var searchable = map[string]bool{
	"username": true, "email": true, "phone_number": true, "name": true, "given_name": true,
	"family_name": true, "preferred_username": true, "cognito:user_status": true, "status": true, "sub": true,
}

func parseFilter(expr string) (filter, error) {
	var f filter
	s := strings.TrimSpace(expr)
	if s == "" {
		return f, nil
	}
	bad := func(why string) (filter, error) {
		return filter{}, errorf("InvalidParameterException", "Error while parsing filter: %s", why)
	}
	i := strings.IndexAny(s, " \t=^")
	if i <= 0 {
		return bad("want ATTRIBUTE = \"VALUE\" or ATTRIBUTE ^= \"VALUE\"")
	}
	f.attr = s[:i]
	s = strings.TrimLeft(s[i:], " \t")
	switch {
	case strings.HasPrefix(s, "^="):
		f.prefix, s = true, s[2:]
	case strings.HasPrefix(s, "="):
		s = s[1:]
	default:
		return bad("want the operator = or ^=")
	}
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return bad("the value must be in double quotes")
	}
	var b strings.Builder
	body := s[1 : len(s)-1]
	for j := 0; j < len(body); j++ {
		c := body[j]
		switch {
		case c == '\\' && j+1 < len(body):
			j++
			b.WriteByte(body[j])
		case c == '"' || c == '\\':
			return bad("a quote or backslash in the value must be escaped with a backslash")
		default:
			b.WriteByte(c)
		}
	}
	f.value = b.String()
	if !searchable[f.attr] {
		return filter{}, errorf("InvalidParameterException", "Invalid search attribute: %s (searchable: username, email, phone_number, name, given_name, family_name, preferred_username, cognito:user_status, status, sub)", f.attr)
	}
	return f, nil
}

// match reports whether u passes the filter; the caller holds p.mu.
func (f filter) match(p *pool, u *user) bool {
	if f.attr == "" {
		return true
	}
	var got string
	want := f.value
	fold := false
	switch f.attr {
	case "username":
		got, fold = u.name, !p.caseSensitive
	case "email":
		got, fold = u.emailAddr(), !p.caseSensitive
	case "phone_number":
		got = u.phone
	case "cognito:user_status":
		got, fold = statuses[u.status], true
	case "status":
		got = "Enabled"
		if !u.enabled() {
			got = "Disabled"
		}
	case "sub":
		got = formatUUID(u.sub)
	default:
		return false // attributes the emulator does not keep are never set
	}
	if fold {
		got, want = strings.ToLower(got), strings.ToLower(want)
	}
	if f.prefix {
		return strings.HasPrefix(got, want)
	}
	return got == want
}
