package main

import (
	"errors"
	"io"
	"strings"

	"cogpass/input"
	"cogpass/job"
)

// errNoPool is the usage error of a job that names no pool at all.
func errNoPool() error {
	return usageError("no user pool: give --user-pool-id, or a user_pool_id column in the manifest")
}

// checkPoolSource refuses, before any call, a set or reset job that has no
// --user-pool-id and a CSV manifest without a user_pool_id column: every
// row would fail. (A JSON Lines manifest's keys vary by line; its preflight
// says so, see poolMissingEverywhere.)
func checkPoolSource(cmd job.Command, f *jobFlags, rows *input.Reader) error {
	if f.userPoolID != "" || cmd == job.Change || f.offline {
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
func poolMissingEverywhere(f *jobFlags, plan *job.Plan) bool {
	if f.userPoolID != "" || plan == nil || plan.Rows == 0 || plan.Invalid != plan.Rows {
		return false
	}
	for _, p := range plan.Problems {
		if !strings.Contains(p.Message, "no user pool") {
			return false
		}
	}
	return true
}

// countRows counts the manifest's rows, valid or not, without a call; 0
// when the file cannot be read (the run itself says why).
func countRows(src *manifestSource) int64 {
	rows, _, _, closeFn, err := src.open()
	if err != nil {
		return 0
	}
	defer closeFn()
	var n int64
	for {
		if _, err := rows.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return n
			}
			return 0
		}
		n++
	}
}
