package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// Consumer reads topics as one member of a consumer group, at least once:
// an event's offset is committed only after its handler succeeded, so a
// crash hands it to the next member again, and handlers drop repeats by the
// event's ID.
type Consumer struct {
	Brokers []string
	Sec     Security
	Group   string
	Topics  []string
	Logger  *slog.Logger
}

// Run hands every event to handle, in order per partition, until ctx
// ends. A failing handler is retried with backoff (the database or
// Temporal may be out for minutes) and holds its partition meanwhile; an
// event that is not a CloudEvent is logged and skipped, as no retry can
// read it.
func (c Consumer) Run(ctx context.Context, handle func(context.Context, CloudEvent, []byte) error) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     c.Brokers,
		GroupID:     c.Group,
		GroupTopics: c.Topics,
		Dialer:      &kafka.Dialer{TLS: c.Sec.TLS, SASLMechanism: c.Sec.SASL, Timeout: 10 * time.Second},
		// A new group starts at the oldest event, so that nothing published
		// before its first start is missed.
		StartOffset: kafka.FirstOffset,
		MaxWait:     500 * time.Millisecond,
	})
	defer r.Close()
	for {
		msg, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.Logger.Warn("reading events failed; retrying", "group", c.Group, "error", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		var ev CloudEvent
		if err := json.Unmarshal(msg.Value, &ev); err != nil || ev.ID == "" || ev.Type == "" {
			c.Logger.Error("skipping a message that is no CloudEvent", "group", c.Group, "topic", msg.Topic,
				"partition", msg.Partition, "offset", msg.Offset, "error", err)
		} else {
			for delay := 200 * time.Millisecond; ; delay = min(2*delay, 30*time.Second) {
				err := handle(ctx, ev, msg.Value)
				if err == nil {
					break
				}
				c.Logger.Warn("handling an event failed; retrying", "group", c.Group, "event_id", ev.ID, "event_type", ev.Type,
					"retry_in", delay, "error", err)
				if !sleep(ctx, delay) {
					return nil
				}
			}
		}
		if err := r.CommitMessages(ctx, msg); err != nil && ctx.Err() == nil {
			// Handled already: the next member handles it again, and drops it.
			c.Logger.Warn("committing an offset failed", "group", c.Group, "error", err)
		}
	}
}

// sleep waits d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
