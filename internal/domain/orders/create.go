package orders

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/jackc/pgx/v5"
)

// ErrIdempotencyKeyReused means the Idempotency-Key was used before with a
// different request body.
var ErrIdempotencyKeyReused = errors.New("idempotency key already used with a different request")

// ClaimKey binds an Idempotency-Key to orderID, unless it is bound already:
// then it returns the order ID bound first (for the same request hash) or
// ErrIdempotencyKeyReused (for another). Concurrent claims of one key agree
// on one order ID: the primary key decides.
//
// The key is claimed before the workflow starts and before the order row
// exists, so a crash between the two leaves a key whose retry starts the
// same order, never an order without a workflow.
func (s *Store) ClaimKey(ctx context.Context, key string, requestHash []byte, orderID string) (string, error) {
	var owner string
	var hash []byte
	err := s.pool.QueryRow(ctx, `
		WITH claimed AS (
			INSERT INTO orders.idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING
			RETURNING order_id, request_hash
		)
		SELECT order_id, request_hash FROM claimed
		UNION ALL
		SELECT order_id, request_hash FROM orders.idempotency_keys WHERE key = $1
		LIMIT 1`, key, requestHash, orderID).Scan(&owner, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		// The conflicting row was inserted by a transaction that had not
		// committed when our snapshot was taken: the claim is decided, read it.
		err = s.pool.QueryRow(ctx, `SELECT order_id, request_hash FROM orders.idempotency_keys WHERE key = $1`, key).Scan(&owner, &hash)
	}
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare(hash, requestHash) != 1 {
		return "", ErrIdempotencyKeyReused
	}
	return owner, nil
}

// Insert stores a pending order unless it exists already (the workflow may
// have stored it first).
func (s *Store) Insert(ctx context.Context, in Input) error {
	_, err := s.pool.Exec(ctx, insertOrderSQL, insertOrderArgs(in)...)
	return err
}

const insertOrderSQL = `
	INSERT INTO orders.orders (id, customer_id, status, currency, total, items, contact, workflow_id, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
	ON CONFLICT (id) DO NOTHING`

func insertOrderArgs(in Input) []any {
	return []any{in.OrderID, in.CustomerID, StatusPending, in.Currency, in.Total,
		mustJSON(in.Items), mustJSON(in.Contact), WorkflowID(in.OrderID), in.PlacedAt}
}
