package job

import (
	"fmt"
	"sync"

	"cogpass/job/retry"
)

// poolLevelStop is how many rows in a row, answered with the same
// pool-level code (the pool's Lambda trigger failed: retry.PoolLevel),
// stop the job. One is a row's problem (a trigger that refuses one user);
// five in a row is the trigger, and every later row would fail the same
// way while spending the account's shared quota.
const poolLevelStop = 5

// poolLevelStreak counts the rows in a row whose write call was answered
// with one pool-level code. Any other answer to a write (success included)
// ends the streak.
type poolLevelStreak struct {
	mu   sync.Mutex
	code string
	n    int
}

// writeAnswered tells the breakers how a row's write call ended: code is
// the error code, "" for a success. It stops the job when the pool-level
// streak reaches poolLevelStop; the rows of the streak are failed rows with
// a code that is not final, so --resume sends them again.
func (r *runner) writeAnswered(line int, code string) {
	s := &r.poolLevel
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" || !retry.PoolLevelCode(code) {
		s.code, s.n = "", 0
		return
	}
	if code != s.code {
		s.code, s.n = code, 0
	}
	s.n++
	if s.n == poolLevelStop {
		r.stop(&Fatal{Line: line, Code: code, Err: fmt.Errorf(
			"%d rows in a row failed with %s: the pool's Lambda trigger (the custom message or custom sender trigger %s runs) is failing, not the rows; fix the trigger (its CloudWatch logs say why), then resume",
			poolLevelStop, code, r.cfg.Command.Operation())})
	}
}
