//go:build !unix

package report

import "os"

// flock is a no-op where flock(2) does not exist: there, two runs on one
// report are not kept apart.
func flock(*os.File) error { return nil }

const oNoFollow = 0

// ownerOf is unknown where files have no uid.
func ownerOf(os.FileInfo) (int, bool) { return 0, false }
