package job

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	iofs "io/fs"
	"os"

	"cogpass/input"
	"cogpass/report"
)

// manifestSource opens the manifest, as often as the job reads it: once for
// the preflight and once for the run. Each pass hashes what it reads, so
// that a manifest that changed between the two is noticed.
type manifestSource struct {
	path   string
	format input.Format
	stdin  io.Reader
	warn   func([]string)
	warned bool
	// limit, when above 0, is the size the manifest had when it was
	// hashed: no pass reads past it, so rows added later are never sent.
	limit int64
}

func (m *manifestSource) open() (rows *input.Reader, sum hash.Hash, size *countingReader, closeFn func(), err error) {
	var r io.Reader = m.stdin
	closeFn = func() {}
	if m.path != "-" {
		f, err := os.Open(m.path)
		if err != nil {
			return nil, nil, nil, nil, Usagef("open manifest: %v", err)
		}
		r, closeFn = f, func() { f.Close() }
		if m.limit > 0 {
			r = io.LimitReader(f, m.limit)
		}
	}
	sum = sha256.New()
	size = &countingReader{r: io.TeeReader(r, sum)}
	opts := input.Options{}
	if !m.warned {
		m.warned = true
		opts.OnUnknownColumns = m.warn
	}
	rows, err = input.NewReader(bufio.NewReaderSize(size, 64<<10), m.format, opts)
	if err != nil {
		closeFn()
		return nil, nil, nil, nil, Usagef("read manifest %s: %v", m.path, err)
	}
	return rows, sum, size, closeFn, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// codeManifestChanged stops a job whose manifest changed while it ran.
const codeManifestChanged = "ManifestChanged"

// finishHash reads what the reader left (nothing, at EOF) so that the hash
// covers the whole file.
func finishHash(size *countingReader, sum hash.Hash) (string, int64) {
	io.Copy(io.Discard, size)
	return hex.EncodeToString(sum.Sum(nil)), size.n
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

// reportIsEmpty says whether a report is missing or holds no row: at most
// a CSV header, whole or cut.
func reportIsEmpty(path string) bool {
	f, err := os.Open(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(f, buf)
	if n == len(buf) {
		return false
	}
	data := buf[:n]
	if report.FormatOf(path) == report.JSONL {
		return len(bytes.TrimSpace(data)) == 0
	}
	i := bytes.IndexByte(data, '\n')
	return i < 0 || len(bytes.TrimSpace(data[i+1:])) == 0
}
