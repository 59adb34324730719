package input

import (
	"fmt"
	"strings"
)

// Nearest returns the candidate that name most likely misspells, or "":
// the same once case, white space, '-', '_' and '.' are dropped
// ("user_name", "Username "), or a few edits away (Damerau-Levenshtein,
// optimal string alignment: one edit for names up to four characters, two
// up to nine, three beyond; "pasword", "passwd", "rest" for reset), or the
// start of exactly one of them, four characters or more ("force_change"). The
// manifest reader uses it for columns, and the command line for commands,
// flags and values.
func Nearest(name string, candidates []string) string {
	n := normalise(name)
	if n == "" {
		return ""
	}
	best, bestD := "", -1
	prefixOf := ""
	for _, c := range candidates {
		if cn := normalise(c); len(n) >= 4 && strings.HasPrefix(cn, n) {
			if prefixOf != "" {
				prefixOf = "\x00" // more than one: no suggestion from the prefix
			} else {
				prefixOf = c
			}
		}
	}
	for _, c := range candidates {
		cn := normalise(c)
		if cn == n {
			return c
		}
		limit := 1
		switch {
		case len(cn) > 9:
			limit = 3
		case len(cn) > 4:
			limit = 2
		}
		if d := editDistance(n, cn); d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	if best == "" && prefixOf != "\x00" {
		// The start of one name only ("force_change").
		return prefixOf
	}
	return best
}

func normalise(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '\t', '-', '_', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes (names are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a misspelling of any name here
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// columnAliases are names people give a column that are no misspelling of
// its name but mean it.
var columnAliases = map[string]field{
	"pwd":             fPassword,
	"pw":              fPassword,
	"pass":            fPassword,
	"user":            fUsername,
	"login":           fUsername,
	"newpassword":     fProposedPassword,
	"oldpassword":     fPreviousPassword,
	"currentpassword": fPreviousPassword,
	"token":           fAccessToken,
	"poolid":          fUserPoolID,
	"userpool":        fUserPoolID,
	"metadata":        fClientMetadata,
	"temporary":       fPermanent,
	"ispermanent":     fPermanent,
}

// nearField returns the known column an unknown one most likely means, or
// fNone for an unrelated column (email, status, created: an export's extra
// columns) that is only warned about.
func nearField(name string) field {
	if f, ok := columnAliases[normalise(name)]; ok {
		return f
	}
	want := Nearest(name, fieldNames[fUsername:])
	for f := fUsername; f < nFields; f++ {
		if fieldNames[f] == want {
			return f
		}
	}
	return fNone
}

// misspeltColumn is the error for a column name close to a known one: a
// misspelt password column would otherwise be ignored, and every user
// would get a generated password instead of the one supplied.
func misspeltColumn(kind, name string, f field) error {
	return fmt.Errorf("unknown %s %q: did you mean %s?", kind, strings.TrimSpace(name), fieldNames[f])
}
