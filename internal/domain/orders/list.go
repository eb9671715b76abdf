package orders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/internal/platform/keyset"
)

// ListFilter selects a page of orders, newest first. Zero fields select
// everything.
type ListFilter struct {
	Status     Status
	CustomerID string
	// CreatedFrom and CreatedTo bound when the orders were placed:
	// [from, to).
	CreatedFrom, CreatedTo time.Time
	// MinTotal and MaxTotal bound their totals (minor units), inclusive;
	// MaxTotal 0 is no bound.
	MinTotal, MaxTotal int64
	Limit              int
	Cursor             string // opaque; from the previous page's NextCursor
}

// Page is one page of orders.
type Page struct {
	Orders     []Order `json:"orders"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// ErrBadCursor means the cursor was not produced by List.
var ErrBadCursor = keyset.ErrBadCursor

// List pages through orders with keyset pagination on (created_at, id):
// stable under concurrent inserts and as fast on page 1000 as on page 1.
func (s *Store) List(ctx context.Context, f ListFilter) (Page, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.CustomerID != "" {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if !f.CreatedFrom.IsZero() {
		where = append(where, "created_at >= "+arg(f.CreatedFrom))
	}
	if !f.CreatedTo.IsZero() {
		where = append(where, "created_at < "+arg(f.CreatedTo))
	}
	if f.MinTotal > 0 {
		where = append(where, "total >= "+arg(f.MinTotal))
	}
	if f.MaxTotal > 0 {
		where = append(where, "total <= "+arg(f.MaxTotal))
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		where = append(where, fmt.Sprintf("(created_at, id) < (%s, %s)", arg(c.At), arg(c.ID)))
	}
	sql := `SELECT ` + orderColumns + ` FROM orders.orders`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY created_at DESC, id DESC LIMIT " + arg(f.Limit+1)

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{Orders: []Order{}}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return Page{}, err
		}
		page.Orders = append(page.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Orders) > f.Limit {
		page.Orders = page.Orders[:f.Limit]
		last := page.Orders[f.Limit-1]
		page.NextCursor = keyset.Cursor{At: last.CreatedAt, ID: last.ID}.String()
	}
	return page, nil
}

// decodeCursor reads a cursor of List's: its IDs are order IDs, UUIDs.
func decodeCursor(s string) (keyset.Cursor, error) {
	c, err := keyset.Parse(s)
	if err != nil {
		return c, err
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return c, ErrBadCursor // anything else was not made here
	}
	return c, nil
}
