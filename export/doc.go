// Package export reads the other source of users: the pool itself. It is
// what `cogpass export` runs to turn a user pool into a manifest that set
// and reset read back as it stands.
//
// What it lists: every user ListUsers returns for the pool, or those a
// filter in Cognito's own syntax selects, page by page in the pool's order,
// with the attributes an export keeps (username, status, enabled, email,
// email_verified, phone_number_verified, created, last modified).
//
// How it paces: pages are read one at a time (each page's pagination token
// names the next, so they cannot be read in parallel), at most
// ListPageSize users a call, under a pacer on ListUsers' quota category
// (UserList), by default the same share of its default quota the job takes
// of its own categories. Throttles and transient faults are retried with
// backoff, and every attempt pays the pacer, as the job's calls do.
//
// The never-partial promise: a listing either ends at the pool's last page
// or fails with a *ListError saying at which page it stopped and how many
// users came before; it is never silently short, and a server that loops on
// its pagination token is refused rather than followed forever.
package export
