package inventory

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// Why an outbox rather than publishing from the activities after commit: the
// activities are not the only writers (the API adjusts stock, the seed and
// the migration receive it), a process can die between its commit and its
// publish, and a retried activity that finds its work done would have to
// find the events it never published.

// outbox holds the ledger's events until the inventory worker's relay
// publishes them (events.InventoryTopic, keyed by SKU, as CloudEvents of
// type "inventory.<kind>" whose ID is derived from the ledger event's ID),
// in ledger order.
var outbox = events.Outbox[Event, int64]{
	Name:  "inventory",
	Topic: events.InventoryTopic,
	Lock:  0x696e76656e746f72, // "inventor"
	Claim: `SELECT ` + eventColumns + ` FROM inventory.outbox o JOIN inventory.stock_events e ON e.id = o.event_id
		ORDER BY o.event_id LIMIT $1`,
	Done: `DELETE FROM inventory.outbox WHERE event_id = ANY($1)`,
	Pending: `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(e.created_at)), 0)::float8
		FROM inventory.outbox o JOIN inventory.stock_events e ON e.id = o.event_id`,
	Batch:    200,
	Interval: 200 * time.Millisecond,
	Message: func(ev Event) (events.Message, int64, error) {
		ce, err := events.New("stock-event-"+strconv.FormatInt(ev.ID, 10), "inventory."+ev.Kind, "/orderflow/inventory", ev.SKU, ev.CreatedAt, ev)
		return events.Message{Key: ev.SKU, Event: ce, Origin: ev.Origin}, ev.ID, err
	},
}

// Relay returns the relay of s's outbox, which the inventory worker runs. A
// Kafka outage delays events; stock changes go on.
func (s *Store) Relay(pub events.BatchPublisher, logger *slog.Logger) *events.Relay[Event, int64] {
	return outbox.Relay(s.pool, pub, logger)
}
