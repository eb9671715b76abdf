package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// sample is what one unit of work (an order, a bare workflow, a request)
// came to.
type sample struct {
	id             string // the order's, or the workflow's
	status, reason string
	// shipments are an order's, whose workflows are its own (Options.Deliver).
	shipments []string
	latency   time.Duration
	err       error
}

// closedLoop runs units with clients at once, each client starting its next
// unit when its last one ends: n units in all, or, with n = 0, as many as
// fit before until. It returns every unit's sample, latency measured here,
// and the time it all took.
func closedLoop(ctx context.Context, clients, n int, until time.Time, unit func(ctx context.Context, i int) sample) ([]sample, time.Duration) {
	if n > 0 {
		clients = min(clients, n)
	}
	var (
		next    atomic.Int64
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if (n > 0 && i >= n) || (n == 0 && !time.Now().Before(until)) {
					return
				}
				began := time.Now()
				s := unit(ctx, i)
				s.latency = time.Since(began)
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return samples, time.Since(start)
}
