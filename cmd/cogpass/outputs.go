package main

import (
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
			return nil, usageError("%v", err)
		}
		locks = append(locks, l)
	}
	return unlock, nil
}
