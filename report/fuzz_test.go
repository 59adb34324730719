package report

import (
	"bytes"
	"testing"
)

// FuzzLoadIndex feeds arbitrary bytes to the resume index as CSV and as
// JSONL: it must never panic, never claim more final lines than rows read,
// and stay within its line-number bound.
func FuzzLoadIndex(f *testing.F) {
	f.Add([]byte(csvHeader + csvLine(2, "succeeded", "") + csvLine(3, "failed", "TooManyRequestsException")))
	f.Add([]byte(jsonLine(1, "succeeded", "") + `{"line":2,"outcome":"failed","x":[{"a":null}]}` + "\n"))
	f.Add([]byte("\xEF\xBB\xBFline,outcome\r\n2,\"succ\"\"\"\n3,"))
	const limit = 1 << 16 // keeps a fuzzed line number from allocating megabytes per run
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{CSV, JSONL} {
			ix, err := loadIndex(bytes.NewReader(data), format, retryableCodes, limit)
			if err != nil {
				t.Fatalf("%v: error from an in-memory reader: %v", format, err)
			}
			lines := bytes.Count(data, []byte{'\n'})
			if ix.Rows()+ix.BadRows() > lines || ix.Count() > ix.Rows() || ix.CountFinal(true) > ix.Count() || ix.CountFailedKept(false) != ix.Count()-ix.CountFinal(true) {
				t.Fatalf("%v: rows=%d bad=%d count=%d countRetry=%d over %d lines", format, ix.Rows(), ix.BadRows(), ix.Count(), ix.CountFinal(true), lines)
			}
			if len(ix.final) > limit/64+1 || len(ix.failed) > limit/64+1 {
				t.Fatalf("%v: bitmap beyond the line limit", format)
			}
			if ix.Final(-1, false) || ix.Final(0, false) {
				t.Fatalf("%v: line <= 0 is final", format)
			}
		}
	})
}
