package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// Event is one order event, as GET /api/orders/{id}/events shows it and as
// the outbox relay publishes it.
type Event struct {
	ID         string    `json:"id"`
	OrderID    string    `json:"-"`
	Type       string    `json:"type"`
	Status     Status    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	CustomerID string    `json:"-"`
	Total      int64     `json:"-"`
	Currency   string    `json:"-"`
	OccurredAt time.Time `json:"occurred_at"`
	// Origin is the request and trace of the saga step that wrote it.
	events.Origin `json:"-"`
}

// SaveState stores a saga state unless a newer one is stored already, and
// the event it produced, if any, in the same transaction (the outbox).
// States are ordered by (UpdatedAt, Version): workflow time orders the runs
// of a reset order, the version orders the writes of one workflow task. The
// row the API stored (version 0, stamped by the API's clock) yields to any
// state, so clock skew between hosts cannot freeze an order at pending. It
// creates the order when it is missing, so a workflow started from the CLI
// shows up in the read model too. An order its shipments moved on (shipped,
// delivered) stays where they took it whatever its saga writes later (a
// reset order runs it again): its parcels are on their way.
func (s *Store) SaveState(ctx context.Context, in Input, st State, ev *Event) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertOrderSQL, insertOrderArgs(in)...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE orders.orders
			SET status = CASE WHEN status IN ('shipped', 'delivered') THEN status ELSE $2 END, steps = $3, failure_reason = $4, state_version = $5, updated_at = $6, attention = $7, risk = $8,
				capture_id = coalesce(nullif($9, ''), capture_id)
			WHERE id = $1 AND (state_version = 0 OR (updated_at, state_version) < ($6, $5))`,
			st.OrderID, st.Status, mustJSON(st.Steps), st.FailureReason, st.Version, st.UpdatedAt, st.Attention, st.Risk, st.CaptureID); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO orders.order_events (id, order_id, type, status, reason, customer_id, total, currency, occurred_at, request_id, trace_parent)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
			ev.ID, st.OrderID, ev.Type, ev.Status, ev.Reason, in.CustomerID, in.Total, in.Currency, ev.OccurredAt, ev.RequestID, ev.TraceParent)
		return err
	})
}

// Events returns an order's events, oldest first, or ErrNotFound.
func (s *Store) Events(ctx context.Context, orderID string) ([]Event, error) {
	if _, err := s.Get(ctx, orderID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM orders.order_events WHERE order_id = $1 ORDER BY occurred_at, id`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
}

const eventColumns = `id, order_id, type, status, reason, customer_id, total, currency, occurred_at, request_id, trace_parent`
