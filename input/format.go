// Package input reads the manifest of a password job, CSV with a header row
// or JSON Lines, one row at a time and in flat memory. A row that cannot be
// used comes back with Row.Err set (and its line number) so that the job can
// report it and go on; only input that is not a manifest at all, or an I/O
// error, stops the reader.
package input

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the encoding of a manifest.
type Format int

const (
	// FormatCSV is comma-separated values with a header row.
	FormatCSV Format = iota + 1
	// FormatJSONL is JSON Lines: one JSON object per line.
	FormatJSONL
	// FormatDetect asks NewReader to tell the format from the first bytes,
	// for standard input, which has no name to go by: a JSON object (a '{'
	// after any byte-order mark and white space) is JSON Lines, anything
	// else CSV. cogpass export writes either, so that
	// `cogpass export ... | cogpass reset --manifest -` needs no flag.
	FormatDetect Format = -1
)

func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatJSONL:
		return "jsonl"
	case FormatDetect:
		return "detect"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatFor picks the format of the manifest at path: override ("csv" or
// "jsonl", from --manifest-format) when set, otherwise the file's extension.
// Standard input ("-") has no extension: without the override its format is
// FormatDetect.
func FormatFor(path, override string) (Format, error) {
	if override != "" {
		switch strings.ToLower(strings.TrimSpace(override)) {
		case "csv":
			return FormatCSV, nil
		case "jsonl", "ndjson":
			return FormatJSONL, nil
		}
		return 0, fmt.Errorf("unknown manifest format %q: want csv or jsonl", override)
	}
	if path == "-" {
		return FormatDetect, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	}
	return 0, fmt.Errorf("cannot tell the format of manifest %s from its name: use a .csv or .jsonl extension or pass --manifest-format csv or jsonl", path)
}
