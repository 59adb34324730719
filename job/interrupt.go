package job

import "context"

// announceInterrupt calls cfg.OnInterrupt as soon as ctx ends (the first
// signal), while the job winds down, so the operator learns at once what
// happens next rather than after the grace period. The returned func ends
// the watch.
func (r *runner) announceInterrupt(ctx context.Context) func() {
	if r.cfg.OnInterrupt == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-ctx.Done():
			r.cfg.OnInterrupt(r.inFlight.Load(), r.cfg.StopGrace)
		case <-done:
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
