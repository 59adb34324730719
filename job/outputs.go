package job

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"

	"cogpass/report"
)

// lockOutputs takes the exclusive lock of each output a job writes (its
// report and, when there is one, its secrets file) for the job's whole life:
// a second run on the same files is refused at once, with the pid of the
// run that holds them. The kernel releases the locks when the process ends,
// however it ends, so a killed run never blocks its --resume.
func lockOutputs(paths ...string) (unlock func(), err error) {
	var locks []*report.JobLock
	unlock = func() {
		for _, l := range locks {
			l.Unlock()
		}
	}
	for _, p := range paths {
		if p == "" || p == "-" {
			continue
		}
		l, err := report.Lock(p)
		if err != nil {
			unlock()
			return nil, Usagef("%v", err)
		}
		locks = append(locks, l)
	}
	return unlock, nil
}

// lockPath is the lock file lockOutputs takes for an output (none for no
// file or stdout). It is one of the job's files too: a report or secrets
// file named after the other's lock would be created by the lock, appended
// to, and removed when the job ends.
func lockPath(path string) string {
	if path == "" || path == "-" {
		return ""
	}
	return report.LockPath(path)
}

// Output is a file a job reads or writes, and the flag that names it.
type Output struct {
	Flag, Path string
}

// DistinctOutputs refuses, as a usage error, two of a job's files that are
// one file: the manifest, the report, the report's job record, the secrets
// file and the summary. Two names are one file when they resolve to the
// same path (relative parts and symbolic links followed) or, for files that
// exist, when they are the same inode (hard links). Writing one output over
// another, or over the manifest, would destroy passwords or the job's
// record.
func DistinctOutputs(files ...Output) error {
	type seen struct {
		Output
		resolved string
		fi       os.FileInfo
	}
	var all []seen
	for _, o := range files {
		if o.Path == "" || o.Path == "-" {
			continue
		}
		s := seen{Output: o, resolved: resolvePath(o.Path)}
		s.fi, _ = os.Stat(o.Path)
		for _, p := range all {
			if p.resolved == s.resolved || (p.fi != nil && s.fi != nil && os.SameFile(p.fi, s.fi)) {
				return Usagef("%s and %s name the same file (%s): each output needs its own file, and none may be the manifest", p.Flag, o.Flag, o.Path)
			}
		}
		all = append(all, s)
	}
	return nil
}

// resolvePath is path absolute, with its symbolic links resolved as far as
// they exist.
func resolvePath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if full, err := filepath.EvalSymlinks(abs); err == nil {
		return full
	}
	// A link to a file not yet there resolves to its target.
	if target, err := os.Readlink(abs); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return resolvePath(target)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// WriteSummaryJSON writes the summary to path atomically: a temporary file
// in the same directory, synced, then linked into place, which fails when
// path exists, so no file is ever overwritten; with replace (the summary of
// the same job, on a resume) it is renamed over the old one. It returns the
// SHA-256 of what it wrote.
func WriteSummaryJSON(path string, s *Summary, runErr error, replace bool) (string, error) {
	doc := struct {
		*Summary
		Stopped string `json:"stopped,omitempty"`
	}{Summary: s}
	if runErr != nil {
		doc.Stopped = runErr.Error()
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600) // like the report: it may name users
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
	}
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// checkSummaryDir refuses, as a usage error before anything is sent, a
// --summary-json whose directory does not exist or cannot be written in:
// the summary is written only after the job, too late to say so. The probe
// is the write's own first step (a temporary file in that directory),
// removed at once.
func checkSummaryDir(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return Usagef("--summary-json %s: directory %s does not exist", path, dir)
	case err != nil:
		return Usagef("--summary-json %s: %v", path, err)
	case !fi.IsDir():
		return Usagef("--summary-json %s: %s is not a directory", path, dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		var pe *iofs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Usagef("--summary-json %s: cannot write in %s: %v", path, dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
