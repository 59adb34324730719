package report

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkWrite measures rows/s through Write, one write(2) per row. The
// job's target is 10,000 rows/s end to end on 2 cores.
func BenchmarkWrite(b *testing.B) {
	for _, name := range []string{"r.csv", "r.jsonl"} {
		r := Row{Line: 123456, Username: "user123456", Action: "set-temporary", Outcome: Failed, ErrorCode: "InvalidPasswordException",
			Message: "Password did not conform with policy: Password must have symbol characters", Attempts: 1,
			UserStatus: "FORCE_CHANGE_PASSWORD", DurationMS: 57, FinishedAt: t0}
		b.Run(FormatOf(name).String(), func(b *testing.B) {
			w, err := Create(filepath.Join(b.TempDir(), name))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(FormatOf(name).String()+"-parallel", func(b *testing.B) {
			w, err := Create(filepath.Join(b.TempDir(), name))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.ReportAllocs()
			b.SetParallelism(8) // workers contend on the mutex as in the job
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := w.Write(r); err != nil {
						panic(fmt.Sprint(err))
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkSecretsWrite(b *testing.B) {
	s, err := CreateSecrets(filepath.Join(b.TempDir(), "s.csv"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(123456, "user123456", "Zx9!abcdefghijkl"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
