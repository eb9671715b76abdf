// Package orders is the orders service's data, in the "orders" schema: the
// order read model, the idempotency keys of order requests, and the order
// events, which double as the outbox of what goes to Kafka.
package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/risk"
)

// ErrNotFound means no order has the ID.
var ErrNotFound = errors.New("order not found")

// Order is one order as the API shows it.
type Order struct {
	ID            string                `json:"id"`
	Status        Status                `json:"status"`
	WorkflowID    string                `json:"workflow_id"`
	CustomerID    string                `json:"customer_id"`
	Items         []Item                `json:"items"`
	Currency      string                `json:"currency"`
	Total         int64                 `json:"total"`
	Contact       notifications.Contact `json:"contact"`
	Steps         []Step                `json:"steps"`
	FailureReason string                `json:"failure_reason,omitempty"`
	// Attention is what is left undone while the status is needs_attention.
	Attention string `json:"attention,omitempty"`
	// Refunded is what the order's refunds have given back (minor units).
	Refunded int64 `json:"refunded"`
	// Risk is the order's risk assessment; the API shows it to admins only.
	Risk *risk.Assessment `json:"risk,omitempty"`
	// CaptureID is the gateway's capture of the payment, once taken; the
	// API shows it to admins only.
	CaptureID string `json:"capture_id,omitempty"`
	// Shipments are a completed order's parcels, one per warehouse.
	Shipments []Shipment `json:"shipments"`
	// Returns are its customer's returns of delivered lines, oldest first.
	Returns   []Return  `json:"returns"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ChangedAt is when the order's row last changed, for any reason: of
	// two copies of an order, the later one has the later ChangedAt.
	ChangedAt time.Time `json:"changed_at"`
	// stateVersion orders the saga's writes (see SaveState);
	// fulfilmentRevision counts its shipments' and returns' writes.
	stateVersion, fulfilmentRevision int64
}

// Store reads and writes the orders schema.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Get returns one order, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// CountByStatus returns how many orders are in each status.
func (s *Store) CountByStatus(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM orders.orders GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		counts[status] = n
	}
	return counts, rows.Err()
}

// CountInStatus returns how many orders are in status.
func (s *Store) CountInStatus(ctx context.Context, status Status) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM orders.orders WHERE status = $1`, status).Scan(&n)
	return n, err
}

// Unfinished returns the orders among ids that have no final status.
func (s *Store) Unfinished(ctx context.Context, ids []string) ([]Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE id = ANY($1) AND NOT status = ANY($2)`,
		ids, FinalStatuses)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Order, error) { return scanOrder(row) })
}

// orderColumns read an order with its shipments and returns, in one round
// trip (an index lookup by order each; most orders have one or two
// shipments and no return).
const orderColumns = `id, status, workflow_id, customer_id, items, currency, total, contact, steps, failure_reason, attention, refunded, risk, capture_id, state_version, fulfilment_revision, created_at, updated_at, changed_at,
	(SELECT coalesce(jsonb_agg(to_jsonb(sh) ORDER BY sh.id), '[]') FROM orders.shipments sh WHERE sh.order_id = orders.orders.id),
	(SELECT coalesce(jsonb_agg(to_jsonb(r) - 'idempotency_key' ORDER BY r.created_at, r.id), '[]') FROM orders.returns r
		WHERE r.order_id = orders.orders.id)`

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.Status, &o.WorkflowID, &o.CustomerID, &o.Items, &o.Currency, &o.Total,
		&o.Contact, &o.Steps, &o.FailureReason, &o.Attention, &o.Refunded, &o.Risk, &o.CaptureID, &o.stateVersion, &o.fulfilmentRevision, &o.CreatedAt, &o.UpdatedAt, &o.ChangedAt, &o.Shipments, &o.Returns)
	return o, err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // plain structs always marshal
	}
	return b
}

// Input is the order as it was placed, from the read model; the payment
// token is not kept there, so it is empty.
func (o Order) Input() Input {
	return Input{OrderID: o.ID, CustomerID: o.CustomerID, Items: o.Items, Currency: o.Currency, Total: o.Total,
		Contact: o.Contact, PlacedAt: o.CreatedAt}
}

// State is the saga state the read model last recorded for the order.
func (o Order) State() State {
	return State{OrderID: o.ID, Status: o.Status, FailureReason: o.FailureReason, Attention: o.Attention, Steps: o.Steps,
		Risk: o.Risk, Version: o.stateVersion, UpdatedAt: o.UpdatedAt}
}
