package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// RefundStatus is where a refund is.
type RefundStatus string

// Refund statuses.
const (
	RefundPending  RefundStatus = "pending"
	RefundRefunded RefundStatus = "refunded"
	RefundFailed   RefundStatus = "failed"
)

// Refund gives back part or all of an order's captured payment.
type Refund struct {
	ID       string `json:"id"`
	OrderID  string `json:"order_id"`
	Amount   int64  `json:"amount"` // minor units
	Currency string `json:"currency"`
	// Reason and RequestedBy are for admins: the API leaves them out for
	// customers.
	Reason      string       `json:"reason,omitempty"`
	Status      RefundStatus `json:"status"`
	RequestedBy string       `json:"requested_by,omitempty"`
	// GatewayRefundID is the gateway's refund, once refunded.
	GatewayRefundID string `json:"gateway_refund_id,omitempty"`
	// Failure is why the gateway refused it, once failed.
	Failure   string    `json:"failure,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// The events a refund's settlement records.
const (
	EventRefunded     = "order.refunded"
	EventRefundFailed = "order.refund_failed"
)

// RefundEventTypes lists them.
var RefundEventTypes = []string{EventRefunded, EventRefundFailed}

// RefundClaim asks for a refund: Amount 0 is whatever is left to refund.
type RefundClaim struct {
	OrderID        string
	IdempotencyKey string
	Amount         int64
	Reason         string
	RequestedBy    string
	// AtMost makes Amount (above 0) the most to refund: what the capture
	// has left when that is less (a return or a cancelled parcel after an
	// admin's partial refund).
	AtMost bool
}

// ErrNotRefundable means the order has taken no money to give back: it is
// not completed, or its capture is unknown.
var ErrNotRefundable = errors.New("order not refundable")

// RefundTooLargeError is a refund of more than the capture has left.
type RefundTooLargeError struct{ Remaining int64 }

func (e *RefundTooLargeError) Error() string {
	if e.Remaining == 0 {
		return "the order has been refunded in full"
	}
	return fmt.Sprintf("must be at most %d (minor units), what is left to refund", e.Remaining)
}

// ClaimRefund records a pending refund of the order, unless the key was
// used for it already: then it returns the refund made first, created
// false, or ErrIdempotencyKeyReused if that one was for another amount or
// reason. The order's row lock serializes the claims of one order, so the
// pending and refunded refunds never sum to more than its total, however
// many API replicas claim at once.
func (s *Store) ClaimRefund(ctx context.Context, c RefundClaim) (r Refund, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status Status
		var total int64
		var currency, captureID string
		err := tx.QueryRow(ctx, `SELECT status, total, currency, capture_id FROM orders.orders WHERE id = $1 FOR UPDATE`, c.OrderID).
			Scan(&status, &total, &currency, &captureID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var requested *int64
		r, err = scanRefund(tx.QueryRow(ctx, `SELECT `+refundColumns+`, requested_amount FROM orders.refunds WHERE order_id = $1 AND idempotency_key = $2`,
			c.OrderID, c.IdempotencyKey), &requested)
		switch {
		case err == nil && (requestedAmount(c) == nil) != (requested == nil),
			err == nil && requested != nil && *requested != c.Amount,
			err == nil && c.Reason != r.Reason:
			return ErrIdempotencyKeyReused
		case err == nil:
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if !status.Paid() || captureID == "" {
			return ErrNotRefundable
		}
		var refunded int64
		err = tx.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM orders.refunds WHERE order_id = $1 AND status <> $2`,
			c.OrderID, RefundFailed).Scan(&refunded)
		if err != nil {
			return err
		}
		remaining, amount := total-refunded, c.Amount
		switch {
		case c.AtMost && amount <= 0:
			return &RefundTooLargeError{Remaining: remaining} // at most nothing is no refund
		case amount == 0 && !c.AtMost, c.AtMost && amount > remaining:
			amount = remaining
		}
		if amount <= 0 || amount > remaining {
			return &RefundTooLargeError{Remaining: remaining}
		}
		r, err = scanRefund(tx.QueryRow(ctx, `
			INSERT INTO orders.refunds (id, order_id, idempotency_key, amount, requested_amount, currency, reason, status, requested_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+refundColumns,
			uuid.Must(uuid.NewV7()), c.OrderID, c.IdempotencyKey, amount, requestedAmount(c), currency, c.Reason, RefundPending, c.RequestedBy))
		created = err == nil
		return err
	})
	return r, created, err
}

// requestedAmount is the claim's amount as stored: nil for "all that is
// left".
func requestedAmount(c RefundClaim) *int64 {
	if c.Amount == 0 {
		return nil
	}
	return &c.Amount
}

// RefundToPay is a refund with what paying it needs: the capture it draws
// on, and whom to tell.
type RefundToPay struct {
	Refund     Refund                `json:"refund"`
	CustomerID string                `json:"customer_id"`
	CaptureID  string                `json:"capture_id"`
	Contact    notifications.Contact `json:"contact"`
}

// RefundToPay reads refund id and its order, or ErrNotFound.
func (s *Store) RefundToPay(ctx context.Context, id string) (RefundToPay, error) {
	var p RefundToPay
	r, err := scanRefund(s.pool.QueryRow(ctx, `
		SELECT `+prefixed("r.", refundColumns)+`, o.customer_id, o.capture_id, o.contact
		FROM orders.refunds r JOIN orders.orders o ON o.id = r.order_id WHERE r.id = $1`, id),
		&p.CustomerID, &p.CaptureID, &p.Contact)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	p.Refund = r
	return p, err
}

// PendingRefunds returns the refunds pending for longer than age, oldest
// first: those whose workflow may never have started.
func (s *Store) PendingRefunds(ctx context.Context, age time.Duration) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM orders.refunds WHERE status = $1 AND created_at < $2
		ORDER BY created_at LIMIT 1000`, RefundPending, time.Now().Add(-age))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func prefixed(prefix, columns string) string {
	return prefix + strings.ReplaceAll(columns, ", ", ", "+prefix)
}

// SettleRefund records a pending refund's outcome (refunded with the
// gateway's refund ID, added to the order's refunded amount, or failed with
// the reason) and its event
// (order.refunded, order.refund_failed) in the outbox, once: a settled
// refund stays as it was settled.
func (s *Store) SettleRefund(ctx context.Context, id string, status RefundStatus, gatewayRefundID, failure string, origin events.Origin) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRefund(tx.QueryRow(ctx, `
			UPDATE orders.refunds SET status = $2, gateway_refund_id = $3, failure = $4, updated_at = now()
			WHERE id = $1 AND status = $5 RETURNING `+refundColumns, id, status, gatewayRefundID, failure, RefundPending))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // settled already
		}
		if err != nil {
			return err
		}
		kind := EventRefunded
		if status == RefundFailed {
			kind = EventRefundFailed
		} else if _, err := tx.Exec(ctx, `UPDATE orders.orders SET refunded = refunded + $2 WHERE id = $1`, r.OrderID, r.Amount); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO orders.order_events (id, order_id, type, status, reason, customer_id, total, currency, occurred_at, request_id, trace_parent)
			SELECT $1, o.id, $2, o.status, $3, o.customer_id, o.total, o.currency, $4, $5, $6 FROM orders.orders o WHERE o.id = $7
			ON CONFLICT (id) DO NOTHING`,
			"refund-"+r.ID+"/"+kind, kind, refundEventReason(r), r.UpdatedAt, origin.RequestID, origin.TraceParent, r.OrderID)
		return err
	})
}

// refundEventReason says which refund an event is of, for how much, and
// why it failed if it did.
func refundEventReason(r Refund) string {
	s := fmt.Sprintf("refund %s of %d %s", r.ID, r.Amount, r.Currency)
	if r.Failure != "" {
		s += ": " + r.Failure
	}
	return s
}

// Refunds returns an order's refunds, oldest first.
func (s *Store) Refunds(ctx context.Context, orderID string) ([]Refund, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+refundColumns+` FROM orders.refunds WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Refund, error) { return scanRefund(row) })
}

const refundColumns = `id, order_id, amount, currency, reason, status, requested_by, gateway_refund_id, failure, created_at, updated_at`

// scanRefund reads refundColumns, then the extra columns into extra.
func scanRefund(row pgx.Row, extra ...any) (Refund, error) {
	var r Refund
	var id uuid.UUID
	err := row.Scan(append([]any{&id, &r.OrderID, &r.Amount, &r.Currency, &r.Reason, &r.Status, &r.RequestedBy,
		&r.GatewayRefundID, &r.Failure, &r.CreatedAt, &r.UpdatedAt}, extra...)...)
	r.ID = id.String()
	return r, err
}
