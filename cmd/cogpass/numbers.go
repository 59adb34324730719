package main

import (
	"flag"
	"fmt"
	"math"
	"time"
)

// numberRange is what a numeric flag accepts, by flag name: every command
// that has a flag of that name means the same thing by it.
type numberRange struct {
	min, max float64 // seconds for durations
	minOpen  bool    // min itself is refused
}

// maxRate is the highest --rate and --read-rate: far above every Cognito
// quota (the largest default is 120 requests per second; raised ones stay
// in the hundreds) and above what the tests ask of the emulator, and low
// enough that the pacer's arithmetic stays exact.
const maxRate = 1_000_000

// numberRanges bounds the numeric flags of every command. A flag not named
// here (--limit: checked by its command) must still be a finite number.
// A zero --backoff-base, --backoff-cap or --stop-grace is refused rather
// than passed on: cognito.Backoff and the job read a zero field as unset and
// take their default (100 ms, 20 s, 10 s), so 0 would silently mean that.
var numberRanges = map[string]numberRange{
	"rate":              {min: 0, minOpen: true, max: maxRate},
	"read-rate":         {min: 0, max: maxRate}, // 0: the default
	"concurrency":       {min: 0, max: 512},     // the only bound on an explicit count; the automatic one stops at pacing.MaxWorkers
	"password-length":   {min: 0, max: 256},     // Cognito's longest password; the policy's minimum is checked later
	"max-attempts":      {min: 1, max: 100},     // with the 20 s backoff cap, 100 attempts is half an hour for one row
	"backoff-base":      {min: 0, minOpen: true, max: 3600},
	"backoff-cap":       {min: 0, minOpen: true, max: 3600},
	"progress-interval": {min: 0, minOpen: true, max: 24 * 3600},
	"stop-grace":        {min: 0, minOpen: true, max: 3600},
	"sample":            {min: 0, max: maxSamples},
	"seed-users":        {min: 0, max: 10_000_000},
	"fault-rate":        {min: 0, max: 1},
	"password-history":  {min: 0, max: 24}, // Cognito's PasswordHistorySize: 0 to 24
	"email-daily-cap":   {min: 0, max: math.MaxInt32},
	"latency":           {min: 0, max: 3600},
	"latency-jitter":    {min: 0, max: 3600},
	"seed":              {min: math.MinInt64, max: math.MaxInt64},
}

// checkNumbers refuses, as a usage error in one line naming the flag, a
// numeric flag set to NaN, an infinity, or a value out of its range. Go's
// flag package parses "NaN" and "Inf" as floats; unchecked, --rate NaN
// meant no ceiling at all.
func checkNumbers(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		var v float64
		var dur bool
		switch x := g.Get().(type) {
		case float64:
			v = x
		case int:
			v = float64(x)
		case int64:
			v = float64(x)
		case uint:
			v = float64(x)
		case uint64:
			v = float64(x)
		case time.Duration:
			v, dur = x.Seconds(), true
		default:
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			err = usageError("--%s %s: want a finite number", f.Name, f.Value)
			return
		}
		r, ok := numberRanges[f.Name]
		if !ok || (v <= r.max && (v > r.min || (v == r.min && !r.minOpen))) {
			return
		}
		err = usageError("--%s %s: want %s", f.Name, f.Value, r.describe(dur))
	})
	return err
}

func (r numberRange) describe(dur bool) string {
	num := func(x float64) string {
		if dur {
			return (time.Duration(x) * time.Second).String()
		}
		return fmt.Sprint(x)
	}
	above := "from " + num(r.min)
	if r.minOpen {
		above = "above " + num(r.min)
	}
	return fmt.Sprintf("a value %s up to %s", above, num(r.max))
}
