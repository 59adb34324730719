package input

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
)

const benchRows = 100_000

var benchData = sync.OnceValues(func() (csvData, jsonlData []byte) {
	var c, j bytes.Buffer
	c.WriteString("username,password,permanent,client_metadata\n")
	for i := range benchRows {
		fmt.Fprintf(&c, "user%06d@example.com,Pa$$w0rd-%06d,true,\n", i, i)
		fmt.Fprintf(&j, `{"username":"user%06d@example.com","password":"Pa$$w0rd-%06d","permanent":true}`+"\n", i, i)
	}
	return c.Bytes(), j.Bytes()
})

func benchRead(b *testing.B, data []byte, f Format) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			n++
		}
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	runtime.ReadMemStats(&after)
	rows := float64(b.N) * benchRows
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
}

func BenchmarkReadCSV(b *testing.B) {
	data, _ := benchData()
	benchRead(b, data, FormatCSV)
}

func BenchmarkReadJSONL(b *testing.B) {
	_, data := benchData()
	benchRead(b, data, FormatJSONL)
}
