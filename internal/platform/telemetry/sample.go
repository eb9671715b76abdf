package telemetry

import (
	"context"
	"time"
)

// Sample runs measure now and then every interval until ctx ends: a gauge
// that costs a query is measured at a steady rate, however often (or by
// however many Prometheus servers) it is scraped.
func Sample(ctx context.Context, every time.Duration, measure func(context.Context)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		measure(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
