package inventory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxConflictRetries bounds the optimistic-locking loop. Past it the caller
// (a Temporal activity) fails and is retried with backoff.
const maxConflictRetries = 20

// Line asks for a quantity of one SKU.
type Line struct {
	SKU      string
	Quantity int
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
}

// OutOfStockError says which SKU fell short, by how much.
type OutOfStockError struct {
	SKU       string
	Requested int
	Available int
}

func (e *OutOfStockError) Error() string {
	return fmt.Sprintf("out of stock: %s: %d requested, %d available", e.SKU, e.Requested, e.Available)
}

func (e *OutOfStockError) Unwrap() error { return ErrOutOfStock }

// Reserve holds stock for every line or for none. It is idempotent by
// reservation ID: reserving an ID that exists returns that reservation.
//
// Allocation rule: each line is taken from the warehouse with the most
// available stock first, then the next, so one line may be split across
// warehouses when none has enough alone; ties go to the lower warehouse ID.
func (s *Store) Reserve(ctx context.Context, reservationID, orderID string, lines []Line) (Reservation, error) {
	lines = mergeLines(lines)
	for attempt := 0; ; attempt++ {
		res, err := s.tryReserve(ctx, reservationID, orderID, lines)
		if !errors.Is(err, errConflict) || attempt == maxConflictRetries {
			return res, err
		}
		// Jittered backoff spreads competing writers apart.
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond):
		}
	}
}

func (s *Store) tryReserve(ctx context.Context, reservationID, orderID string, lines []Line) (res Reservation, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if existing, err := getReservation(ctx, tx, reservationID); err == nil {
			res = existing
			return nil
		} else if !errors.Is(err, ErrReservationNotFound) {
			return err
		}
		var allocs []Allocation
		for _, line := range lines {
			a, err := allocate(ctx, tx, line)
			if err != nil {
				return err
			}
			allocs = append(allocs, a...)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO inventory.reservations (id, order_id, status) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			reservationID, orderID, StatusReserved)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errConflict // the same reservation is being made concurrently; the retry returns it
		}
		for _, a := range allocs {
			if _, err := tx.Exec(ctx, `INSERT INTO inventory.reservation_lines (reservation_id, sku, warehouse_id, quantity) VALUES ($1, $2, $3, $4)`,
				reservationID, a.SKU, a.WarehouseID, a.Quantity); err != nil {
				return err
			}
		}
		res = Reservation{ID: reservationID, OrderID: orderID, Status: StatusReserved, Allocations: allocs}
		return nil
	})
	return res, err
}

// allocate reserves one line across warehouses, most available first, with a
// compare-and-set on each stock row's version.
func allocate(ctx context.Context, tx pgx.Tx, line Line) ([]Allocation, error) {
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
	var allocs []Allocation
	need := line.Quantity
	for _, c := range cands {
		if need == 0 {
			break
		}
		take := min(need, c.available)
		if take <= 0 {
			continue
		}
		tag, err := tx.Exec(ctx, `
			UPDATE inventory.stock
			SET reserved = reserved + $3, version = version + 1, updated_at = now()
			WHERE sku = $1 AND warehouse_id = $2 AND version = $4`,
			line.SKU, c.warehouse, take, c.version)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return nil, errConflict
		}
		allocs = append(allocs, Allocation{SKU: line.SKU, WarehouseID: c.warehouse, Quantity: take})
		need -= take
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

// GetReservation returns a reservation with its allocations.
func (s *Store) GetReservation(ctx context.Context, id string) (Reservation, error) {
	return getReservation(ctx, s.pool, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getReservation(ctx context.Context, q querier, id string) (Reservation, error) {
	res := Reservation{ID: id}
	err := q.QueryRow(ctx, `SELECT order_id, status FROM inventory.reservations WHERE id = $1`, id).Scan(&res.OrderID, &res.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, ErrReservationNotFound
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
