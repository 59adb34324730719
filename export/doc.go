// Package export reads the other source of users: the pool itself. It is
// what `cogpass export` runs to turn a user pool into a manifest that set
// and reset read back as it stands (username first, the other columns
// ignored by them).
//
// What it lists: every user ListUsers returns for the pool, or those a
// filter in Cognito's own syntax selects, page by page in the pool's order,
// with the attributes an export keeps (username, status, enabled, email,
// email_verified, phone_number_verified, created, last modified). A
// Selection adds what ListUsers' one filter expression cannot say (a status
// beside a filter, temporary passwords expired before a time), and
// Exclusions leave out named users (break-glass admins), matched on the
// username or the email, case-insensitively.
//
// How it paces: pages are read one at a time (each page's pagination token
// names the next, so they cannot be read in parallel), at most
// ListPageSize users a call, under a pacer on ListUsers' quota category
// (UserList), by default the same share of its default quota the job takes
// of its own categories. Throttles and transient faults are retried with
// backoff, and every attempt pays the pacer, as the job's calls do.
//
// The never-partial promise: a listing either ends at the pool's last page
// (or the limit asked for) or fails with a *ListError saying at which page
// it stopped and how many users came before; it is never silently short,
// and a server that loops on its pagination token is refused rather than
// followed forever. Run writes to an Output that makes a file visible under
// its name only when the listing is whole: it writes FILE.partial (mode
// 0600: an export holds e-mail addresses) and renames it to FILE on
// Commit; a listing that fails is abandoned and leaves FILE.partial, never
// FILE. On a stream (standard output) what was sent cannot be taken back,
// so an abandoned export sends nothing more and the caller must say that
// what was sent is incomplete.
//
// export imports input (to read exclusion lists) and cognito, never job.
package export
