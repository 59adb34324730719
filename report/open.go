package report

import (
	"fmt"
	"os"
)

// openOwned opens an existing output of a job for appending (--resume)
// without following a symbolic link at path, and refuses, in one line,
// anything but a regular file owned by the current user; with private (the
// secrets file) also one that its group or others may read or write. A
// resume appends new passwords: a link, or a file someone else planted or
// can read, would hand them over. A missing file is an error wrapping
// fs.ErrNotExist.
func openOwned(path, what string, private bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|oNoFollow, 0)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s %s is a symbolic link: refusing to follow it (point --%s at the file itself)", what, path, flagOf(what))
		}
		return nil, err
	}
	fail := func(format string, a ...any) (*os.File, error) {
		f.Close()
		return nil, fmt.Errorf("%s %s "+format, append([]any{what, path}, a...)...)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail("cannot be checked: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fail("is not a regular file (%s): refusing to append to it", fi.Mode().Type())
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return fail("belongs to uid %d, not to this user (uid %d): refusing to append to it", uid, os.Getuid())
	}
	if private && fi.Mode().Perm()&0o077 != 0 {
		return fail("has mode %04o: others than its owner may read it; refusing to append passwords to it (chmod 600 it if that was a mistake, or check who read it)", fi.Mode().Perm())
	}
	if err := flock(f); err != nil {
		return fail("is in use by another cogpass run (under this name or another: a hard link): %w", ErrLocked)
	}
	return f, nil
}

// holdOutput takes the exclusive flock(2) of an output the job has just
// created, on the file itself, for as long as f is open. The lock on
// FILE.lock (Lock) is keyed by the path; this one is keyed by the inode, so
// a run that reaches the same file through a hard link (which Lock cannot
// see) is refused by openOwned instead of interleaving its passwords.
func holdOutput(f *os.File, what, path string) error {
	if err := flock(f); err != nil {
		return fmt.Errorf("%s %s is in use by another cogpass run (under this name or another: a hard link): %w", what, path, ErrLocked)
	}
	return nil
}

func flagOf(what string) string {
	if what == "report" {
		return "report"
	}
	return "secrets"
}
