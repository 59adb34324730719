package job

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"strings"

	"cogpass/cognito"
)

// maxProblems is how many problems a preflight keeps to show; it still
// counts them all.
const maxProblems = 20

// Problem is a row a preflight found that cannot be sent as it is.
type Problem struct {
	Line     int
	Username string
	Code     string
	Message  string
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Code, strings.TrimPrefix(p.Message, fmt.Sprintf("line %d: ", p.Line)))
}

// Plan is what a preflight learned of the whole manifest before the first
// write: how many rows, which are invalid, which name a user twice.
type Plan struct {
	Rows     int64     // data rows, valid or not
	Invalid  int64     // rows that would fail before any call
	Problems []Problem // the first maxProblems of them, in line order
	// Pools counts the valid rows of each pool (--user-pool-id or the
	// row's user_pool_id); Supplied and Generated count the valid rows of
	// set and change that bring their password and that would get one
	// generated. The confirmation prompt shows them.
	Pools               map[string]int64
	Supplied, Generated int64
	// duplicates maps a row's line to the first line naming the same user
	// in the same pool; only rows after the first are in it.
	duplicates map[int]int
}

func (p *Plan) duplicateOf(line int) (int, bool) {
	if p == nil {
		return 0, false
	}
	first, ok := p.duplicates[line]
	return first, ok
}

// Preflight reads every row once, with no write call: it validates each
// row and each supplied password against its pool's policy (reading the
// policy, unless cfg.Policy is given), and finds users named twice in the
// same pool, by the pool's case rule (identity.go). It keeps 12 bytes a
// row, so a million rows take 12 MB.
func Preflight(ctx context.Context, cfg Config, api cognito.API, rows Rows) (*Plan, error) {
	r, err := newRunner(ctx, cfg, api)
	if err != nil {
		return nil, err
	}
	defer r.close()
	plan := &Plan{}
	var users userHashes
	seed := maphash.MakeSeed()
	problem := func(p Problem) {
		plan.Invalid++
		if len(plan.Problems) < maxProblems {
			plan.Problems = append(plan.Problems, p)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		plan.Rows++
		if row.Err != nil {
			problem(Problem{row.Line, row.Username, CodeInvalidManifestRow, row.Err.Error()})
			continue
		}
		prep, bad, err := r.prepare(row, false)
		if err != nil {
			if cause := context.Cause(r.jobCtx); cause != nil {
				return nil, cause
			}
			return nil, err
		}
		if bad != nil && bad.code == codePoolNotFound {
			// One pool of several does not exist: its rows fail in the run
			// (not final), and the rows of the other pools go on.
			continue
		}
		if bad != nil {
			problem(Problem{row.Line, row.Username, bad.code, bad.message})
			continue
		}
		pool := r.rowPool(row)
		if plan.Pools == nil {
			plan.Pools = make(map[string]int64)
		}
		plan.Pools[pool]++
		if r.op.traits().password {
			if prep.password != "" {
				plan.Supplied++
			} else {
				plan.Generated++
			}
		}
		users.add(userKey(seed, pool, row.Username, r.caseSensitive(pool)), row.Line)
	}
	plan.duplicates = users.duplicates()
	if len(plan.duplicates) > 0 {
		lines := make([]int, 0, len(plan.duplicates))
		for l := range plan.duplicates {
			lines = append(lines, l)
		}
		sort.Ints(lines)
		for _, l := range lines {
			problem(Problem{Line: l, Code: CodeDuplicateUser,
				Message: fmt.Sprintf("the same user is on line %d", plan.duplicates[l])})
		}
		sort.SliceStable(plan.Problems, func(i, j int) bool { return plan.Problems[i].Line < plan.Problems[j].Line })
	}
	return plan, nil
}

// userHashes holds a hash and a line per row, to find users named twice
// without keeping any username. Two different users share a 64-bit hash
// with a chance of about one in 10^7 for a million rows; such a pair would
// be reported as a duplicate, and the operator sees both lines.
type userHashes struct {
	hashes []uint64
	lines  []int32
}

func (u *userHashes) add(h uint64, line int) {
	u.hashes = append(u.hashes, h)
	u.lines = append(u.lines, int32(line))
}

func (u *userHashes) Len() int { return len(u.hashes) }
func (u *userHashes) Less(i, j int) bool {
	return u.hashes[i] < u.hashes[j] || u.hashes[i] == u.hashes[j] && u.lines[i] < u.lines[j]
}
func (u *userHashes) Swap(i, j int) {
	u.hashes[i], u.hashes[j] = u.hashes[j], u.hashes[i]
	u.lines[i], u.lines[j] = u.lines[j], u.lines[i]
}

// duplicates maps every line after the first of a run of equal hashes to
// that first line.
func (u *userHashes) duplicates() map[int]int {
	sort.Sort(u)
	var dups map[int]int
	first := 0
	for i := 1; i < len(u.hashes); i++ {
		if u.hashes[i] != u.hashes[first] {
			first = i
			continue
		}
		if dups == nil {
			dups = make(map[int]int)
		}
		dups[int(u.lines[i])] = int(u.lines[first])
	}
	return dups
}
