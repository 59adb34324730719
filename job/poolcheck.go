package job

import (
	"strings"

	"cogpass/input"
)

// errNoPool is the usage error of a job that names no pool at all.
func errNoPool() error {
	return Usagef("no user pool: give --user-pool-id, or a user_pool_id column in the manifest")
}

// checkPoolSource refuses, before any call, a set or reset job that has no
// --user-pool-id and a CSV manifest without a user_pool_id column: every
// row would fail. (A JSON Lines manifest's keys vary by line; its preflight
// says so, see poolMissingEverywhere.)
func checkPoolSource(o *Options, rows *input.Reader) error {
	if o.UserPoolID != "" || !o.Command.traits().admin || o.Offline {
		return nil
	}
	if has, known := rows.HasColumn("user_pool_id"); known && !has {
		return errNoPool()
	}
	return nil
}

// poolMissingEverywhere reports whether a preflight found every row
// invalid for want of a pool (a JSON Lines manifest without user_pool_id
// keys and no --user-pool-id).
func poolMissingEverywhere(o *Options, plan *Plan) bool {
	if o.UserPoolID != "" || plan == nil || plan.Rows == 0 || plan.Invalid != plan.Rows {
		return false
	}
	for _, p := range plan.Problems {
		if !strings.Contains(p.Message, "no user pool") {
			return false
		}
	}
	return true
}
