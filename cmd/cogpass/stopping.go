package main

import (
	"fmt"
	"time"
)

// stoppingMessage is what the first Ctrl-C says at once: how many calls
// are still in flight and how long they may take.
func stoppingMessage(inFlight int64, grace time.Duration) string {
	return fmt.Sprintf("stopping: %s in flight, up to %s; Ctrl-C again to quit now", plural(int(inFlight), "call"), grace)
}
