// Package orders is the orders service's data: the order read model and the
// idempotency keys of order requests, in the "orders" schema.
package orders

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/workflows"
)

// ErrNotFound means no order has the ID.
var ErrNotFound = errors.New("order not found")

// ErrIdempotencyKeyReused means the Idempotency-Key was used before with a
// different request body.
var ErrIdempotencyKeyReused = errors.New("idempotency key already used with a different request")

// Order is one order as the API shows it.
type Order struct {
	ID            string            `json:"id"`
	Status        string            `json:"status"`
	WorkflowID    string            `json:"workflow_id"`
	CustomerID    string            `json:"customer_id"`
	Items         []workflows.Item  `json:"items"`
	Currency      string            `json:"currency"`
	Total         int64             `json:"total"`
	Contact       workflows.Contact `json:"contact"`
	Steps         []workflows.Step  `json:"steps"`
	FailureReason string            `json:"failure_reason,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// Store reads and writes the orders schema.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create inserts a pending order. With an idempotency key, the key and the
// order are stored in one transaction: a repeated key with the same request
// hash returns the order created the first time (created is false), with
// another hash ErrIdempotencyKeyReused.
func (s *Store) Create(ctx context.Context, in workflows.OrderInput, idemKey string, requestHash []byte) (o Order, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if idemKey != "" {
			var existingID string
			var existingHash []byte
			err := tx.QueryRow(ctx, `SELECT order_id, request_hash FROM orders.idempotency_keys WHERE key = $1`, idemKey).Scan(&existingID, &existingHash)
			switch {
			case err == nil:
				if subtle.ConstantTimeCompare(existingHash, requestHash) != 1 {
					return ErrIdempotencyKeyReused
				}
				o, err = getOrder(ctx, tx, existingID)
				return err
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
		}
		if err := insertOrder(ctx, tx, in); err != nil {
			return err
		}
		if idemKey != "" {
			// A concurrent request with the same key loses on the primary key
			// and its transaction rolls back; its client retries and gets ours.
			if _, err := tx.Exec(ctx, `INSERT INTO orders.idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)`,
				idemKey, requestHash, in.OrderID); err != nil {
				return err
			}
		}
		created = true
		o, err = getOrder(ctx, tx, in.OrderID)
		return err
	})
	if isUniqueViolation(err) && idemKey != "" {
		// Lost the race described above: answer with the winner's order.
		return s.Create(ctx, in, idemKey, requestHash)
	}
	return o, created, err
}

func insertOrder(ctx context.Context, tx pgx.Tx, in workflows.OrderInput) error {
	items, err := json.Marshal(in.Items)
	if err != nil {
		return err
	}
	contact, err := json.Marshal(in.Contact)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO orders.orders (id, customer_id, status, currency, total, items, contact, workflow_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		in.OrderID, in.CustomerID, workflows.OrderPending, in.Currency, in.Total, items, contact,
		workflows.OrderWorkflowID(in.OrderID), in.PlacedAt)
	return err
}

// Event is one order event as GET /api/orders/{id}/events shows it.
type Event struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SaveState stores a saga state unless a newer one is stored already, and
// the event it produced, if any, in the same transaction. It creates the
// order when it is missing, so a workflow started from the CLI shows up in
// the read model too.
func (s *Store) SaveState(ctx context.Context, in workflows.OrderInput, st workflows.OrderState, ev *Event) error {
	steps, err := json.Marshal(st.Steps)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO orders.orders (id, customer_id, status, currency, total, items, contact, workflow_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (id) DO NOTHING`,
			in.OrderID, in.CustomerID, workflows.OrderPending, in.Currency, in.Total,
			mustJSON(in.Items), mustJSON(in.Contact), workflows.OrderWorkflowID(in.OrderID), in.PlacedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE orders.orders
			SET status = $2, steps = $3, failure_reason = $4, state_version = $5, updated_at = $6
			WHERE id = $1 AND state_version < $5`,
			st.OrderID, st.Status, steps, st.FailureReason, st.Version, st.UpdatedAt); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO orders.order_events (id, order_id, type, status, reason, occurred_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			ev.ID, st.OrderID, ev.Type, ev.Status, ev.Reason, ev.OccurredAt)
		return err
	})
}

// Events returns an order's events, oldest first, or ErrNotFound.
func (s *Store) Events(ctx context.Context, orderID string) ([]Event, error) {
	if _, err := s.Get(ctx, orderID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, type, status, reason, occurred_at FROM orders.order_events
		WHERE order_id = $1 ORDER BY occurred_at, id`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
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

// Get returns one order.
func (s *Store) Get(ctx context.Context, id string) (Order, error) {
	return getOrder(ctx, s.pool, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const orderColumns = `id, status, workflow_id, customer_id, items, currency, total, contact, steps, failure_reason, created_at, updated_at`

func getOrder(ctx context.Context, q querier, id string) (Order, error) {
	o, err := scanOrder(q.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.Status, &o.WorkflowID, &o.CustomerID, &o.Items, &o.Currency, &o.Total,
		&o.Contact, &o.Steps, &o.FailureReason, &o.CreatedAt, &o.UpdatedAt)
	return o, err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // plain structs always marshal
	}
	return b
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
