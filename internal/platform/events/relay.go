package events

import (
	"context"
	"log/slog"
	"time"
)

// RunRelay drives a transactional outbox until ctx ends: every interval it
// calls publishBatch until a batch comes back smaller than batchSize (the
// outbox is drained), logging failures and trying again next interval. The
// outbox itself (which rows, in which order, marked how) belongs to the
// service that owns the table.
func RunRelay(ctx context.Context, name string, interval time.Duration, batchSize int,
	publishBatch func(context.Context) (int, error), logger *slog.Logger) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for {
			n, err := publishBatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					logger.Warn("publishing events failed; retrying", "outbox", name, "error", err)
				}
				break
			}
			if n < batchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
