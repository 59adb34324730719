package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// SidecarVersion is the Job.Version this package writes.
const SidecarVersion = 1

// Job is what a report was written for, kept in the sidecar
// <report>.job.json so that --resume can refuse a different manifest or
// different settings: resuming the wrong job would skip or repeat users.
type Job struct {
	Version        int               `json:"version"`
	Command        string            `json:"command"` // set, reset, change
	UserPoolID     string            `json:"user_pool_id,omitempty"`
	Permanent      bool              `json:"permanent"`
	ManifestPath   string            `json:"manifest_path"` // informational: a moved manifest is fine
	ManifestSHA256 string            `json:"manifest_sha256"`
	ManifestSize   int64             `json:"manifest_size"`
	Params         map[string]string `json:"params,omitempty"` // other settings that must match (password length, client metadata, ...)
	CreatedAt      time.Time         `json:"created_at"`
	// Region and EndpointURL are where the job sent its calls, for
	// `cogpass verify`; informational, not compared on --resume.
	Region      string `json:"region,omitempty"`
	EndpointURL string `json:"endpoint_url,omitempty"`
	// SummaryJSON is the --summary-json file this job last wrote: a resume
	// may replace that file, and no other that exists.
	SummaryJSON *SummaryFile `json:"summary_json,omitempty"`
}

// SummaryFile names a summary a job wrote: its path, absolute with links
// resolved, and the SHA-256 of what was written.
type SummaryFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// OwnsSummary says whether the file at path is the summary this job wrote
// last: the same file, unchanged since. Only then may a resume replace it.
func (j Job) OwnsSummary(path string) bool {
	if j.SummaryJSON == nil || j.SummaryJSON.Path != resolve(path) {
		return false
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	sum, _, err := HashFile(path)
	return err == nil && sum == j.SummaryJSON.SHA256
}

// RecordSummary notes in the job record of reportPath that the job wrote
// the summary at path with the given SHA-256.
func RecordSummary(reportPath, path, sha256 string) error {
	j, err := ReadSidecar(reportPath)
	if err != nil {
		return err
	}
	j.SummaryJSON = &SummaryFile{Path: resolve(path), SHA256: sha256}
	return WriteSidecar(reportPath, j)
}

// SidecarPath is where the sidecar of reportPath lives.
func SidecarPath(reportPath string) string { return reportPath + ".job.json" }

// WriteSidecar writes j next to the report atomically (temporary file,
// fsync, rename, fsync of the directory), so a crash leaves the old sidecar
// or the new one, never half of one. Write it right after Create succeeds:
// before would clobber the sidecar of an existing report that Create then
// refuses. A zero Version is set to SidecarVersion.
func WriteSidecar(reportPath string, j Job) error {
	if j.Version == 0 {
		j.Version = SidecarVersion
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("encode job sidecar: %w", err)
	}
	data = append(data, '\n')
	dst := SidecarPath(reportPath)
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, filepath.Base(dst)+".tmp*")
	if err != nil {
		return fmt.Errorf("write job sidecar: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write job sidecar %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write job sidecar %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync job sidecar %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write job sidecar %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write job sidecar: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync directory of job sidecar %s: %w", dst, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadSidecar reads the sidecar of reportPath. A missing sidecar is an error
// wrapping fs.ErrNotExist.
func ReadSidecar(reportPath string) (Job, error) {
	path := SidecarPath(reportPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return Job{}, fmt.Errorf("read job sidecar: %w", err)
	}
	var j Job
	if err := json.Unmarshal(data, &j); err != nil {
		return Job{}, fmt.Errorf("read job sidecar %s: %w", path, err)
	}
	if j.Version < 1 || j.Version > SidecarVersion {
		return Job{}, fmt.Errorf("read job sidecar %s: unsupported version %d (this cogpass reads version %d)", path, j.Version, SidecarVersion)
	}
	return j, nil
}

// Diff lists, one human line each, what differs between j (the job the
// report was written for) and other (this run). Empty means resumable.
// CreatedAt and ManifestPath are not compared: time passes and manifests
// move; the content hash and size are what identify the manifest.
func (j Job) Diff(other Job) []string {
	var d []string
	if v, ov := version(j), version(other); v != ov {
		d = append(d, fmt.Sprintf("sidecar version differs: %d vs %d", v, ov))
	}
	if j.Command != other.Command {
		d = append(d, fmt.Sprintf("command differs: report was written by %s, this run is %s", orNone(j.Command), orNone(other.Command)))
	}
	if j.UserPoolID != other.UserPoolID {
		d = append(d, fmt.Sprintf("user pool differs: %s vs %s", orNone(j.UserPoolID), orNone(other.UserPoolID)))
	}
	if j.Permanent != other.Permanent {
		d = append(d, fmt.Sprintf("permanent differs: report was written with --permanent=%t, this run has --permanent=%t", j.Permanent, other.Permanent))
	}
	if j.ManifestSHA256 != other.ManifestSHA256 {
		d = append(d, fmt.Sprintf("manifest sha256 differs: report was written for %s, this manifest is %s", shortHash(j.ManifestSHA256), shortHash(other.ManifestSHA256)))
	}
	if j.ManifestSize != other.ManifestSize {
		d = append(d, fmt.Sprintf("manifest size differs: report was written for %d bytes, this manifest has %d", j.ManifestSize, other.ManifestSize))
	}
	keys := make([]string, 0, len(j.Params)+len(other.Params))
	for k := range j.Params {
		keys = append(keys, k)
	}
	for k := range other.Params {
		if _, ok := j.Params[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		a, aok := j.Params[k]
		b, bok := other.Params[k]
		if a == b && aok == bok {
			continue
		}
		d = append(d, fmt.Sprintf("%s differs: %s vs %s", k, paramValue(a, aok), paramValue(b, bok)))
	}
	return d
}

// version treats an unset Version as the current one, as WriteSidecar does.
func version(j Job) int {
	if j.Version == 0 {
		return SidecarVersion
	}
	return j.Version
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func paramValue(v string, ok bool) string {
	if !ok {
		return "(unset)"
	}
	return strconv.Quote(v)
}

// shortHash abbreviates a hex digest for messages; 12 hex digits tell two
// manifests apart with certainty in practice.
func shortHash(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// HashFile returns the SHA-256 (hex) and size of the file at path, reading
// it as a stream.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash manifest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash manifest %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// HashFileContext is HashFile that gives up when ctx is done, even while
// the open or a read blocks (a FIFO with no writer, a pipe that never
// closes) or the file never ends (/dev/zero). The error is then ctx's.
// The abandoned read goes on in the background until its file yields; the
// caller is expected to be on its way out.
func HashFileContext(ctx context.Context, path string) (string, int64, error) {
	type result struct {
		sum string
		n   int64
		err error
	}
	done := make(chan result, 1)
	stop := make(chan struct{})
	go func() {
		var res result
		f, err := os.Open(path)
		if err != nil {
			res.err = fmt.Errorf("hash manifest: %w", err)
			done <- res
			return
		}
		defer f.Close()
		h := sha256.New()
		buf := make([]byte, 256<<10)
		for {
			select {
			case <-stop:
				return
			default:
			}
			k, err := f.Read(buf)
			h.Write(buf[:k])
			res.n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				res.err = fmt.Errorf("hash manifest %s: %w", path, err)
				done <- res
				return
			}
		}
		res.sum = hex.EncodeToString(h.Sum(nil))
		done <- res
	}()
	select {
	case res := <-done:
		return res.sum, res.n, res.err
	case <-ctx.Done():
		close(stop)
		return "", 0, ctx.Err()
	}
}
