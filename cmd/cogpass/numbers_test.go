package main

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// numericFlags lists a command's numeric flags from its FlagSet, with the
// kind of number each takes: float, int or duration.
func numericFlags(t *testing.T, cmd string) map[string]string {
	t.Helper()
	c, ok := lookupCommand(cmd)
	if !ok {
		t.Fatalf("no command %s", cmd)
	}
	flags := map[string]string{}
	c.flags().VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		switch g.Get().(type) {
		case float64:
			flags[f.Name] = "float"
		case int, int64, uint, uint64:
			flags[f.Name] = "int"
		case time.Duration:
			flags[f.Name] = "duration"
		}
	})
	return flags
}

// Every numeric flag of every command refuses NaN, infinities and values
// out of its range: exit 2, one line, naming the flag.
func TestNumericFlagsRefuseBadValues(t *testing.T) {
	base := map[string][]string{
		"set":      {"--manifest", "m.csv", "--user-pool-id", testPool},
		"reset":    {"--manifest", "m.csv", "--user-pool-id", testPool},
		"change":   {"--manifest", "m.csv"},
		"export":   {"--user-pool-id", testPool},
		"policy":   {"--user-pool-id", testPool},
		"verify":   {"--report", "r.csv"},
		"emulator": {"--listen", "127.0.0.1:0"},
	}
	total := 0
	for cmd, args := range base {
		flags := numericFlags(t, cmd)
		if len(flags) == 0 {
			t.Fatalf("%s: no numeric flag found in its help", cmd)
		}
		if cmd == "set" || cmd == "reset" || cmd == "change" {
			flags["max-failures"] = "max-failures"
		}
		for name, kind := range flags {
			r, ok := numberRanges[name]
			if !ok {
				// Checked by its command (--limit): at least not negative.
				r = numberRange{min: 0, max: math.MaxInt64}
			}
			var bad []string
			switch kind {
			case "float":
				bad = append(bad, "NaN", "nan", "Inf", "+Inf", "-Inf", "1e400")
				if r.minOpen {
					bad = append(bad, fmt.Sprint(r.min))
				}
				bad = append(bad, fmt.Sprint(r.min-1), fmt.Sprint(r.max+1))
			case "int":
				if name == "seed" {
					continue // any int64 is a seed
				}
				bad = append(bad, fmt.Sprint(int64(r.min)-1))
				if r.max < math.MaxInt64 {
					bad = append(bad, fmt.Sprint(int64(r.max)+1))
				}
			case "duration":
				bad = append(bad, "-1ns", fmt.Sprintf("%ds", int64(r.max)+1))
				if r.minOpen {
					bad = append(bad, "0s")
				}
			case "max-failures":
				bad = append(bad, "NaN%", "nan%", "Inf%", "-Inf%", "-5%", "0%", "101%", "0", "-3", "NaN", "Inf")
			}
			for _, v := range bad {
				total++
				all := append(append([]string{cmd}, args...), "--"+name+"="+v)
				code, stderr := runCLI(t, all...)
				if code != exitUsage {
					t.Errorf("%s --%s=%s: exit %d, want 2; stderr:\n%s", cmd, name, v, code, stderr)
					continue
				}
				first, rest, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
				// A value Go cannot parse (1e400) gets flagError's message
				// and a short usage after it.
				if !strings.Contains(first, "--"+name) || (rest != "" && v != "1e400") {
					t.Errorf("%s --%s=%s: want one line naming the flag, got:\n%s", cmd, name, v, stderr)
				}
			}
		}
	}
	t.Logf("%d bad values refused", total)
}

// The edges of each range are accepted, and just past them refused.
func TestNumberRangeEdges(t *testing.T) {
	for name, r := range numberRanges {
		try := func(v float64) error {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.Float64(name, 0, "")
			if err := fs.Parse([]string{"--" + name + "=" + fmt.Sprint(v)}); err != nil {
				t.Fatal(err)
			}
			return checkNumbers(fs)
		}
		if err := try(r.max); err != nil {
			t.Errorf("--%s=%v (its maximum) refused: %v", name, r.max, err)
		}
		if err := try(r.min); (err == nil) == r.minOpen {
			t.Errorf("--%s=%v (its minimum, open %t): %v", name, r.min, r.minOpen, err)
		}
		if r.min > math.MinInt64 {
			if err := try(r.min - 0.5); err == nil {
				t.Errorf("--%s=%v accepted", name, r.min-0.5)
			}
		}
	}
}

// A zero --stop-grace, --backoff-base or --backoff-cap is refused at the
// flag in one line: the job and cognito.Backoff read a zero as "unset, take
// the default", so before, --stop-grace 0 silently meant 10 s and
// --backoff-base 0 meant 100 ms.
func TestZeroDurationFlagsRefused(t *testing.T) {
	tests := []struct {
		cmd  string
		args []string
		flag string
	}{
		{"set", []string{"--manifest", "m.csv", "--user-pool-id", testPool}, "stop-grace"},
		{"reset", []string{"--manifest", "m.csv", "--user-pool-id", testPool}, "stop-grace"},
		{"change", []string{"--manifest", "m.csv"}, "stop-grace"},
		{"set", []string{"--manifest", "m.csv", "--user-pool-id", testPool}, "backoff-base"},
		{"change", []string{"--manifest", "m.csv"}, "backoff-cap"},
		{"reset", []string{"--manifest", "m.csv", "--user-pool-id", testPool}, "backoff-cap"},
		{"export", []string{"--user-pool-id", testPool}, "backoff-base"},
		{"export", []string{"--user-pool-id", testPool}, "backoff-cap"},
	}
	for _, tt := range tests {
		for _, v := range []string{"0", "0s"} {
			args := append(append([]string{tt.cmd}, tt.args...), "--"+tt.flag, v)
			code, stderr := runCLI(t, args...)
			want := "--" + tt.flag + " 0s: want a value above 0s up to 1h0m0s"
			if code != exitUsage || strings.TrimSpace(stderr) != "cogpass: "+want {
				t.Errorf("%s --%s %s: exit %d, stderr %q; want exit 2 and %q", tt.cmd, tt.flag, v, code, stderr, want)
			}
		}
	}
}
