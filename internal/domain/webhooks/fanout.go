package webhooks

import (
	"context"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// FanOut records a delivery of the event for each endpoint that wants it,
// and hands each to start (which starts its workflow, once per delivery
// ID). An event that comes again (Kafka delivers at least once) finds its
// deliveries recorded and their workflows started: nothing is sent twice.
// An endpoint gets only the events that happened after it was created.
func (s *Store) FanOut(ctx context.Context, ev events.CloudEvent, payload []byte, start func(ctx context.Context, deliveryID string) error) error {
	subscribers, err := s.Subscribers(ctx, ev.Type)
	if err != nil {
		return err
	}
	for _, e := range subscribers {
		if ev.Time.Before(e.CreatedAt) {
			continue
		}
		id, err := s.AddDelivery(ctx, e.ID, ev.ID, ev.Type, payload)
		if err != nil {
			return err
		}
		if err := start(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
