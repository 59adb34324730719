package job

import (
	"context"
	"errors"
	"fmt"
	"sync"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
	"cogpass/cognito/policy"
)

// pool is what the job knows of one user pool.
type pool struct {
	policy policy.Policy
	gen    *policy.Generator
	email  string // EmailSendingAccount
	// caseSensitive is the pool's username case rule (identity.go).
	caseSensitive bool
}

// pools reads each pool's policy once, on first use, however many workers
// ask at once.
type pools struct {
	r  *runner
	mu sync.Mutex
	m  map[string]*poolEntry
}

type poolEntry struct {
	once sync.Once
	p    *pool
	err  error
}

func (ps *pools) get(id string) (*pool, error) {
	ps.mu.Lock()
	if ps.m == nil {
		ps.m = make(map[string]*poolEntry)
	}
	e, ok := ps.m[id]
	if !ok {
		e = &poolEntry{}
		ps.m[id] = e
	}
	ps.mu.Unlock()
	e.once.Do(func() { e.p, e.err = ps.r.loadPool(id) })
	if errors.Is(e.err, errStopped) {
		// Not cached: a later run asks again.
		return nil, errStopped
	}
	return e.p, e.err
}

// loadPool reads a pool's policy. A *Fatal it returns stops the job: the
// caller returns it to the runner's group.
func (r *runner) loadPool(id string) (*pool, error) {
	p := &pool{caseSensitive: true}
	switch {
	case r.cfg.Policy != nil:
		p.policy = *r.cfg.Policy
	case r.cfg.Offline || id == "":
		// No pool to ask (an offline check, or a change with tokens only):
		// Cognito's default policy, all four classes, which a generated
		// password of 16 characters satisfies in any pool whose minimum is
		// not longer.
		p.policy = policy.Default()
	default:
		var out *cip.DescribeUserPoolOutput
		res := r.call(r.meta, 0, r.perPool(id, func(ctx context.Context) error {
			var err error
			out, err = r.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &id})
			return err
		}))
		if res.err != nil {
			if res.fatal != nil {
				return nil, res.fatal
			}
			if errors.Is(res.err, errStopped) {
				return nil, errStopped
			}
			// A pool that cannot be read is a fatal condition for a job
			// with one pool; with a pool per row it fails that pool's rows.
			if id == r.cfg.UserPoolID {
				return nil, &Fatal{Code: res.code, Err: fmt.Errorf("read the password policy of pool %s: %s: %s", id, res.code, res.message)}
			}
			return nil, &poolError{code: res.code, err: fmt.Errorf("read the password policy of pool %s: %s: %s", id, res.code, res.message)}
		}
		p.policy, p.email = cognito.PoolPolicy(out.UserPool)
		p.caseSensitive = cognito.CaseSensitive(out.UserPool)
	}
	gen, err := policy.NewGenerator(p.policy, r.cfg.PasswordLength)
	if err == nil && r.cfg.PasswordSymbols != nil {
		gen, err = gen.WithSymbols(*r.cfg.PasswordSymbols)
	}
	if err != nil {
		return nil, &Fatal{Err: fmt.Errorf("pool %s: %w", id, err)}
	}
	p.gen = gen
	return p, nil
}
