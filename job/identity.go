package job

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"

	"cogpass/input"
)

// Who is a user. Two rows name the same user when, in the same pool, their
// usernames are equal under the pool's case rule, or when Cognito resolves
// them (through an alias, the sub, or another letter case) to the same
// canonical username, which AdminGetUser returns.
//
// The case rule is the pool's UsernameConfiguration.CaseSensitive, read by
// cognito.CaseSensitive: a missing setting means case-sensitive.

// userKey is the hash under which a row's user is remembered: its pool and
// its username as the pool's case rule compares it.
func userKey(seed maphash.Seed, pool, username string, caseSensitive bool) uint64 {
	if !caseSensitive {
		username = strings.ToLower(username)
	}
	return maphash.String(seed, pool+"\x00"+username)
}

// canonicalKey is the hash of a user as Cognito resolved it: its pool and
// the username AdminGetUser answered with, which is the same whatever
// alias, sub or letter case the row used.
func canonicalKey(seed maphash.Seed, pool, username string) uint64 {
	return maphash.String(seed, pool+"\x01"+username)
}

// seenSet remembers, for each user a job has sent, the line that named it
// first. It keeps a 64-bit hash and a line, never a username, in a Go map:
// 38 MB of heap for a million users (measured with runtime.MemStats after
// a GC, go1.26 linux/amd64), whatever their usernames. Two different users share
// a hash with a chance of about one in 10^7 for a million rows; such a pair
// would be reported as a duplicate naming the other line.
type seenSet struct {
	mu sync.Mutex
	m  map[uint64]int32
}

// claim records line as the first to name h, or returns the line that did.
func (s *seenSet) claim(h uint64, line int) (first int, dup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[uint64]int32)
	}
	if f, ok := s.m[h]; ok {
		return int(f), true
	}
	s.m[h] = int32(line)
	return 0, false
}

// caseSensitive is the case rule of a row's pool. A job that sends a
// password (set, change) has read the pool (prepare did); a reset job reads
// no pool (it needs no DescribeUserPool permission), and an offline one cannot: they take the
// policy file's rule, else the API's default, case-sensitive. The look-up's
// canonical username still finds the same user in another case.
func (r *runner) caseSensitive(poolID string) bool {
	sensitive, _ := r.caseRule(poolID)
	return sensitive
}

// caseRule is caseSensitive, and the *Fatal met reading the pool, if any.
func (r *runner) caseRule(poolID string) (bool, *Fatal) {
	if r.cfg.CaseSensitive != nil {
		return *r.cfg.CaseSensitive, nil
	}
	if !r.op.traits().password || r.cfg.Offline || poolID == "" {
		return true, nil
	}
	p, err := r.pools.get(poolID)
	if err != nil {
		var fatal *Fatal
		errors.As(err, &fatal)
		return true, fatal
	}
	return p.caseSensitive, nil
}

// rowPool is the pool a row is sent to.
func (r *runner) rowPool(row input.Row) string {
	if row.UserPoolID != "" {
		return row.UserPoolID
	}
	return r.cfg.UserPoolID
}

// spelledTwice says whether an earlier row named the same user by the
// pool's case rule, and which. With a preflight it asks the plan; without
// one (a dry run, a manifest on stdin) it keeps its own seen-set, filled in
// manifest order by the reader, so both find the same duplicates. A *Fatal
// met reading the pool's case rule stops the job.
func (r *runner) spelledTwice(row input.Row) (int, bool, *Fatal) {
	if r.cfg.Plan != nil {
		first, dup := r.cfg.Plan.duplicateOf(row.Line)
		return first, dup, nil
	}
	pool := r.rowPool(row)
	sensitive, fatal := r.caseRule(pool)
	if fatal != nil {
		return 0, false, fatal
	}
	first, dup := r.seen.claim(userKey(r.seed, pool, row.Username, sensitive), row.Line)
	return first, dup, nil
}

// resolvedTwice says whether an earlier row resolved to the same user
// that the look-up of this one found, and which line sent it.
func (r *runner) resolvedTwice(row input.Row, poolID, username string) (int, bool) {
	if username == "" {
		username = row.Username
	}
	return r.seen.claim(canonicalKey(r.seed, poolID, username), row.Line)
}

func duplicateMessage(line, first int, canonical string, dryRun bool) string {
	msg := fmt.Sprintf("line %d: the same user is on line %d, which is the one sent", line, first)
	if canonical != "" {
		msg = fmt.Sprintf("line %d: the same user (%s) as line %d, which is the one sent", line, canonical, first)
	}
	if dryRun {
		msg = "would fail: " + strings.Replace(msg, "is the one sent", "would be the one sent", 1)
	}
	return msg
}
