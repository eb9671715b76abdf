package orders

import (
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// outbox holds the order events SaveState stores, until the orders worker's
// relay publishes them (events.OrdersTopic, CloudEvents keyed by order ID).
var outbox = events.Outbox[Event, string]{
	Name:  "orders",
	Topic: events.OrdersTopic,
	Lock:  0x6f7264657273, // "orders"
	Claim: `SELECT ` + eventColumns + ` FROM orders.order_events
		WHERE published_at IS NULL ORDER BY occurred_at, id LIMIT $1`,
	// The events stay: they are the order's history (GET /api/orders/{id}/events).
	Done: `UPDATE orders.order_events SET published_at = now() WHERE id = ANY($1)`,
	Pending: `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8
		FROM orders.order_events WHERE published_at IS NULL`,
	Batch:    100,
	Interval: 100 * time.Millisecond,
	Message: func(ev Event) (events.Message, string, error) {
		ce, err := events.New(ev.ID, ev.Type, "/orderflow/orders", ev.OrderID, ev.OccurredAt, eventData(ev))
		return events.Message{Key: ev.OrderID, Event: ce, Origin: ev.Origin}, ev.ID, err
	},
}

// Relay returns the relay of the order events, which the orders worker
// runs. A Kafka outage delays events; orders go on.
func (s *Store) Relay(pub events.BatchPublisher, logger *slog.Logger) *events.Relay[Event, string] {
	return outbox.Relay(s.pool, pub, logger)
}

// orderEventData is the data of every order event on Kafka.
type orderEventData struct {
	OrderID       string `json:"order_id"`
	CustomerID    string `json:"customer_id"`
	Status        Status `json:"status"`
	Total         int64  `json:"total"`
	Currency      string `json:"currency"`
	FailureReason string `json:"failure_reason,omitempty"`
}

func eventData(ev Event) orderEventData {
	return orderEventData{OrderID: ev.OrderID, CustomerID: ev.CustomerID, Status: ev.Status,
		Total: ev.Total, Currency: ev.Currency, FailureReason: ev.Reason}
}
