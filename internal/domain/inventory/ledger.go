package inventory

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Ledger event kinds.
const (
	EventReceived  = "received"  // goods in: on hand rises
	EventAdjusted  = "adjusted"  // a correction: on hand falls (shrinkage, a recount)
	EventReserved  = "reserved"  // held for an order
	EventReleased  = "released"  // a hold given back
	EventCommitted = "committed" // a hold sold: on hand and reserved fall
	EventReturned  = "returned"  // sold goods back: on hand rises (a parcel cancelled, a return received)
)

// EventKinds lists the kinds, for the event types they publish
// ("inventory.<kind>").
var EventKinds = []string{EventReceived, EventAdjusted, EventReserved, EventReleased, EventCommitted, EventReturned}

// Event is one change to one stock row, as the ledger records it.
type Event struct {
	ID            int64     `json:"id"`
	SKU           string    `json:"sku"`
	WarehouseID   string    `json:"warehouse_id"`
	Kind          string    `json:"kind"`
	OnHandDelta   int       `json:"on_hand_delta"`
	ReservedDelta int       `json:"reserved_delta"`
	Version       int64     `json:"version"` // the stock row's version after this event
	ReservationID string    `json:"reservation_id,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	Actor         string    `json:"actor"`
	Reason        string    `json:"reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	// Origin is the request and trace behind the change.
	events.Origin `json:"-"`
}

// change is an event about to be applied: ID, Version and CreatedAt are
// filled in by apply.
type change struct {
	Event
	// key identifies the fact the event records, so a retried write cannot
	// append it twice (the ledger's unique idempotency_key).
	key string
	// ifVersion makes the update a compare-and-set: it applies only while the
	// row is still at that version. Nil applies the deltas relative to
	// whatever the row holds, for changes that do not depend on a read.
	ifVersion *int64
}

// applySQL updates the stock row, appends its event to the ledger and queues
// the event in the outbox, in one statement: the three cannot diverge.
const applySQL = `
WITH updated AS (
	UPDATE inventory.stock
	SET on_hand = on_hand + $3, reserved = reserved + $4, version = version + 1, updated_at = now()
	WHERE sku = $1 AND warehouse_id = $2 AND ($5::bigint IS NULL OR version = $5)
	RETURNING version
), appended AS (
	INSERT INTO inventory.stock_events (sku, warehouse_id, kind, on_hand_delta, reserved_delta, version,
		reservation_id, order_id, actor, reason, idempotency_key, request_id, trace_parent)
	SELECT $1, $2, $6, $3, $4, version, NULLIF($7, ''), NULLIF($8, ''), $9, $10, $11, $12, $13 FROM updated
	RETURNING id, version, created_at
), queued AS (
	INSERT INTO inventory.outbox (event_id) SELECT id FROM appended
)
SELECT id, version, created_at FROM appended`

// apply applies c in tx. A compare-and-set that finds the row moved on
// returns errConflict.
func apply(ctx context.Context, tx pgx.Tx, c change) (Event, error) {
	ev := c.Event
	ev.Origin = events.OriginOf(ctx)
	err := tx.QueryRow(ctx, applySQL, ev.SKU, ev.WarehouseID, ev.OnHandDelta, ev.ReservedDelta, c.ifVersion,
		ev.Kind, ev.ReservationID, ev.OrderID, ev.Actor, ev.Reason, c.key, ev.RequestID, ev.TraceParent).Scan(&ev.ID, &ev.Version, &ev.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		if c.ifVersion != nil {
			return ev, errConflict
		}
		return ev, errors.New("no stock row for " + ev.SKU + " in " + ev.WarehouseID)
	}
	return ev, err
}

// stockConflicts counts the compare-and-sets lost to another writer of the
// same stock row, each retried: a steady rate says writers crowd one SKU.
var stockConflicts = promauto.NewCounter(prometheus.CounterOpts{
	Name: "orderflow_stock_conflicts_total",
	Help: "Optimistic-locking conflicts on stock rows, each retried.",
})

// maxConflictRetries bounds the optimistic-locking loop. Past it the caller
// fails with errConflict; a Temporal activity is then retried with backoff.
const maxConflictRetries = 20

// retryConflicts runs try until it does not lose a compare-and-set, at most
// maxConflictRetries more times, with jittered backoff that spreads
// competing writers apart.
func retryConflicts[T any](ctx context.Context, try func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := try()
		if !errors.Is(err, errConflict) || attempt == maxConflictRetries {
			return v, err
		}
		stockConflicts.Inc()
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond):
		}
	}
}

const eventColumns = `id, sku, warehouse_id, kind, on_hand_delta, reserved_delta, version,
	COALESCE(reservation_id, ''), COALESCE(order_id, ''), actor, reason, created_at, request_id, trace_parent`

// EventPage is one page of a SKU's ledger, newest first.
type EventPage struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// ErrBadCursor means a cursor was not produced by Events.
var ErrBadCursor = errors.New("invalid cursor")

// Events pages through a SKU's ledger, newest first, with keyset pagination
// on the event ID: stable while events are appended. cursor is "" for the
// first page, else the previous page's NextCursor.
func (s *Store) Events(ctx context.Context, sku string, limit int, cursor string) (EventPage, error) {
	before := int64(1<<63 - 1)
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return EventPage{}, ErrBadCursor
		}
		if before, err = strconv.ParseInt(string(raw), 10, 64); err != nil || before <= 0 {
			return EventPage{}, ErrBadCursor
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM inventory.stock_events
		WHERE sku = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, sku, before, limit+1)
	if err != nil {
		return EventPage{}, err
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
	if err != nil {
		return EventPage{}, err
	}
	if len(events) == 0 && cursor == "" {
		if _, err := s.Product(ctx, sku); err != nil {
			return EventPage{}, err
		}
	}
	page := EventPage{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, page.Events[limit-1].ID, 10))
	}
	if page.Events == nil {
		page.Events = []Event{}
	}
	return page, nil
}
