package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangeFilter selects the orders a list stream follows: every order, or
// one customer's.
type ChangeFilter struct {
	CustomerID string
}

func (f ChangeFilter) where(args *[]any) string {
	if f.CustomerID == "" {
		return ""
	}
	*args = append(*args, f.CustomerID)
	return fmt.Sprintf(" AND customer_id = $%d", len(*args))
}

// ChangedAfter returns at most limit of f's orders whose row changed after
// (at, afterID), in the order of their changes: keyset pages, the next
// one after the last order of this one. A stream that resumes reads from a
// little before its last change (see ChangesOverlap), as rows are not
// committed in the order of their ChangedAt.
func (s *Store) ChangedAfter(ctx context.Context, f ChangeFilter, at time.Time, afterID string, limit int) ([]Order, error) {
	args := []any{at, afterID, limit}
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE (changed_at, id) > ($1, $2)`+f.where(&args)+
		` ORDER BY changed_at, id LIMIT $3`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Order, error) { return scanOrder(row) })
}

// ChangesOverlap is how far before its last change a resumed stream reads
// again: longer than any write to an order's row takes from its statement
// to its commit.
const ChangesOverlap = 5 * time.Second

// Clock is the database's time now, which ChangedAt is stamped by.
func (s *Store) Clock(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := s.pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now)
	return now, err
}

// Changed returns f's orders among ids, in the order of their changes:
// those a batch of change notifications named.
func (s *Store) Changed(ctx context.Context, f ChangeFilter, ids []string) ([]Order, error) {
	args := []any{ids}
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE id = ANY($1)`+f.where(&args)+
		` ORDER BY changed_at, id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Order, error) { return scanOrder(row) })
}
