package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// Line asks for a quantity of one SKU.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Allocation is the part of a line taken from one warehouse.
type Allocation struct {
	SKU         string `json:"sku"`
	WarehouseID string `json:"warehouse_id"`
	Quantity    int    `json:"quantity"`
}

// Reservation is stock held for one order.
type Reservation struct {
	ID          string       `json:"id"`
	OrderID     string       `json:"order_id"`
	Status      string       `json:"status"`
	Allocations []Allocation `json:"allocations"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// ReserveRequest asks to hold stock for an order until ExpiresAt.
type ReserveRequest struct {
	ReservationID string
	OrderID       string
	Lines         []Line
	ExpiresAt     time.Time
	Actor         string // who asks, for the ledger: e.g. the reservation's workflow
}

// OutOfStockError says which SKU fell short, by how much.
type OutOfStockError struct {
	SKU                  string
	Requested, Available int
}

func (e *OutOfStockError) Error() string {
	return fmt.Sprintf("out of stock: %s: %d requested, %d available", e.SKU, e.Requested, e.Available)
}

func (e *OutOfStockError) Unwrap() error { return ErrOutOfStock }

// Reserve holds stock for every line or for none. It is idempotent by
// reservation ID: reserving an ID that exists returns that reservation,
// whatever its status.
//
// Allocation rule: each line is taken from the warehouse with the most
// available stock first, then the next, so one line is split across
// warehouses only when none has enough alone; ties go to the lower warehouse
// ID. Taking from the fullest warehouse first keeps stock spread, so later
// orders split less often.
func (s *Store) Reserve(ctx context.Context, req ReserveRequest) (Reservation, error) {
	lines := mergeLines(req.Lines)
	res, err := retryConflicts(ctx, func() (Reservation, error) { return s.tryReserve(ctx, req, lines) })
	if err != nil {
		return res, err
	}
	skus := make([]string, len(lines))
	for i, l := range lines {
		skus[i] = l.SKU
	}
	return res, s.invalidate(ctx, skus...)
}

func (s *Store) tryReserve(ctx context.Context, req ReserveRequest, lines []Line) (res Reservation, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Claiming the ID first makes a concurrent attempt at the same
		// reservation wait for ours, then find it.
		err := tx.QueryRow(ctx, `
			INSERT INTO inventory.reservations (id, order_id, status, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING RETURNING created_at`,
			req.ReservationID, req.OrderID, StatusReserved, req.ExpiresAt).Scan(&res.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			res, err = getReservation(ctx, tx, req.ReservationID)
			return err
		}
		if err != nil {
			return err
		}
		var allocs []Allocation
		for _, line := range lines {
			a, err := allocate(ctx, tx, req, line)
			if err != nil {
				return err
			}
			allocs = append(allocs, a...)
		}
		var skus, warehouses []string
		var quantities []int
		for _, a := range allocs {
			skus, warehouses, quantities = append(skus, a.SKU), append(warehouses, a.WarehouseID), append(quantities, a.Quantity)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO inventory.reservation_lines (reservation_id, sku, warehouse_id, quantity)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[])`,
			req.ReservationID, skus, warehouses, quantities); err != nil {
			return err
		}
		expires := req.ExpiresAt
		res = Reservation{ID: req.ReservationID, OrderID: req.OrderID, Status: StatusReserved, Allocations: allocs,
			ExpiresAt: &expires, CreatedAt: res.CreatedAt, UpdatedAt: res.CreatedAt}
		return nil
	})
	return res, err
}

// allocate reserves one line across warehouses by the allocation rule, with
// a compare-and-set on each stock row it takes from.
func allocate(ctx context.Context, tx pgx.Tx, req ReserveRequest, line Line) ([]Allocation, error) {
	rows, err := tx.Query(ctx, `
		SELECT warehouse_id, on_hand - reserved, version FROM inventory.stock
		WHERE sku = $1 ORDER BY on_hand - reserved DESC, warehouse_id`, line.SKU)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		warehouse string
		available int
		version   int64
	}
	cands, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candidate, error) {
		var c candidate
		return c, r.Scan(&c.warehouse, &c.available, &c.version)
	})
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSKU, line.SKU)
	}
	total := 0
	for _, c := range cands {
		total += c.available
	}
	if total < line.Quantity {
		return nil, &OutOfStockError{SKU: line.SKU, Requested: line.Quantity, Available: total}
	}
	// Plan by the allocation rule, then write in warehouse order: two
	// reservations that see availability differently still lock rows in
	// the same order, so they cannot deadlock.
	var plan []candidate
	for need, i := line.Quantity, 0; need > 0; i++ {
		c := cands[i]
		c.available = min(need, c.available) // now: the quantity taken
		plan = append(plan, c)
		need -= c.available
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].warehouse < plan[j].warehouse })
	var allocs []Allocation
	for _, c := range plan {
		take := c.available
		_, err := apply(ctx, tx, change{
			Event: Event{SKU: line.SKU, WarehouseID: c.warehouse, Kind: EventReserved, ReservedDelta: take,
				ReservationID: req.ReservationID, OrderID: req.OrderID, Actor: req.Actor},
			key:       "reserve:" + req.ReservationID + ":" + line.SKU + ":" + c.warehouse,
			ifVersion: &c.version,
		})
		if err != nil {
			return nil, err
		}
		allocs = append(allocs, Allocation{SKU: line.SKU, WarehouseID: c.warehouse, Quantity: take})
	}
	return allocs, nil
}

// mergeLines sums repeated SKUs and orders lines by SKU, so concurrent
// reservations touch stock rows in the same order.
func mergeLines(lines []Line) []Line {
	qty := map[string]int{}
	for _, l := range lines {
		qty[l.SKU] += l.Quantity
	}
	out := make([]Line, 0, len(qty))
	for sku, q := range qty {
		out = append(out, Line{SKU: sku, Quantity: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// GetReservation returns a reservation with its allocations, or
// ErrReservationNotFound.
func (s *Store) GetReservation(ctx context.Context, id string) (Reservation, error) {
	return getReservation(ctx, s.pool, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getReservation(ctx context.Context, q querier, id string) (Reservation, error) {
	res := Reservation{ID: id}
	err := q.QueryRow(ctx, `SELECT order_id, status, expires_at, created_at, updated_at FROM inventory.reservations WHERE id = $1`, id).
		Scan(&res.OrderID, &res.Status, &res.ExpiresAt, &res.CreatedAt, &res.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("%w: %s", ErrReservationNotFound, id)
	}
	if err != nil {
		return res, err
	}
	rows, err := q.Query(ctx, `SELECT sku, warehouse_id, quantity FROM inventory.reservation_lines WHERE reservation_id = $1 ORDER BY sku, warehouse_id`, id)
	if err != nil {
		return res, err
	}
	res.Allocations, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Allocation])
	return res, err
}

// HeldReservations returns how many reservations hold stock now.
func (s *Store) HeldReservations(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM inventory.reservations WHERE status = $1`, StatusReserved).Scan(&n)
	return n, err
}
