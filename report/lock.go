package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is wrapped by the error of Lock when another process holds the
// lock.
var ErrLocked = errors.New("locked by another process")

// JobLock is an exclusive flock(2) on FILE.lock, next to an output of a
// job. The kernel holds the lock for the life of the open file: a process
// that is killed, even with SIGKILL, releases it, so a lock never outlives
// its job and never blocks a resume. The pid written into the file serves
// the message of a refused run only; the lock itself is the kernel's.
type JobLock struct {
	f    *os.File
	path string
}

// LockPath is the lock file of an output: FILE.lock next to it, after the
// directory's symbolic links and relative parts are resolved, so that two
// spellings of one file take one lock.
func LockPath(path string) string {
	return resolve(path) + ".lock"
}

// resolve returns path absolute, its directory's links resolved, and the
// file's own link resolved when it is one.
func resolve(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if full, err := filepath.EvalSymlinks(abs); err == nil {
		return full
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// Lock takes the exclusive lock of the output at path without waiting. When
// another process holds it, the error wraps ErrLocked and names that
// process's pid.
func Lock(path string) (*JobLock, error) {
	lp := LockPath(path)
	for range 10 {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := flock(f); err != nil {
			pid := readPID(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s is in use by another cogpass run (pid %s, lock %s): %w", path, pid, lp, ErrLocked)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file between our open
		// and our flock: then we hold the lock of a file no one else can
		// find. Go again until the file we hold is the one at lp.
		if same(f, lp) {
			l := &JobLock{f: f, path: lp}
			if err := l.writePID(); err != nil {
				l.Unlock()
				return nil, err
			}
			return l, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock %s: %s keeps being replaced", path, lp)
}

func same(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

func (l *JobLock) writePID() error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fmt.Errorf("write lock %s: %w", l.path, err)
	}
	return nil
}

func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := strings.TrimSpace(string(buf[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}

// Path is the lock file.
func (l *JobLock) Path() string { return l.path }

// Unlock removes the lock file and releases the lock. The file is removed
// while the lock is held, so a run waiting for it finds either this file
// (and, after its flock, that it is gone) or none. Unlocking nil or twice
// is a no-op.
func (l *JobLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	if same(l.f, l.path) {
		os.Remove(l.path)
	}
	l.f.Close()
	l.f = nil
}
