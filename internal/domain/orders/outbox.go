package orders

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/platform/events"
)

const (
	// relayBatch bounds one transaction: a crash re-publishes at most this many.
	relayBatch = 100
	// relayInterval is the most an event waits before it is published.
	relayInterval = 100 * time.Millisecond
	// relayLock is the PostgreSQL advisory lock that lets one orders worker
	// publish at a time, which keeps each order's events in order on Kafka.
	relayLock = 0x6f7264657273 // "orders"
)

// RunRelay publishes the order events stored by SaveState to Kafka
// (events.OrdersTopic, CloudEvents keyed by order ID) at least once, oldest
// first, until ctx ends. A Kafka outage delays events; orders go on.
func (s *Store) RunRelay(ctx context.Context, pub *events.Publisher, logger *slog.Logger) {
	events.RunRelay(ctx, "orders", relayInterval, relayBatch, func(ctx context.Context) (int, error) {
		return s.publishBatch(ctx, pub)
	}, logger)
}

func (s *Store) publishBatch(ctx context.Context, pub *events.Publisher) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var leader bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(relayLock)).Scan(&leader); err != nil || !leader {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM orders.order_events
			WHERE published_at IS NULL ORDER BY occurred_at, id LIMIT $1`, relayBatch)
		if err != nil {
			return err
		}
		batch, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
		if err != nil || len(batch) == 0 {
			return err
		}
		msgs := make([]events.Message, len(batch))
		ids := make([]string, len(batch))
		for i, ev := range batch {
			ce, err := events.New(ev.ID, ev.Type, "/orderflow/orders", ev.OrderID, ev.OccurredAt, eventData(ev))
			if err != nil {
				return err
			}
			msgs[i], ids[i] = events.Message{Key: ev.OrderID, Event: ce, RequestID: ev.RequestID}, ev.ID
		}
		if err := pub.PublishBatch(ctx, events.OrdersTopic, msgs); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orders.order_events SET published_at = now() WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
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
