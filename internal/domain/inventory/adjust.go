package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Adjustment changes a SKU's on-hand stock in one warehouse: goods received
// (a positive delta) or a correction such as shrinkage (a negative one).
type Adjustment struct {
	SKU         string
	WarehouseID string
	Delta       int
	Reason      string
	Actor       string
	// IdempotencyKey, when set, makes a repeat return the first adjustment's
	// event instead of changing stock again.
	IdempotencyKey string
}

// InsufficientStockError refuses a negative adjustment that would take
// available stock (on hand minus reserved) below zero: held stock belongs to
// orders.
type InsufficientStockError struct {
	SKU, WarehouseID string
	Delta, Available int
}

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("cannot take %d of %s from %s: only %d available (the rest is reserved)", -e.Delta, e.SKU, e.WarehouseID, e.Available)
}

// Adjust applies a to its stock row, creating the row for a warehouse that
// did not stock the SKU yet, and returns the ledger event. It retries a
// bounded number of times when a concurrent change wins the row's
// compare-and-set.
func (s *Store) Adjust(ctx context.Context, a Adjustment) (Event, error) {
	key := "adjust:" + a.IdempotencyKey
	if a.IdempotencyKey == "" {
		key = "adjust:" + uuid.Must(uuid.NewV7()).String()
	}
	ev, err := retryConflicts(ctx, func() (Event, error) { return s.tryAdjust(ctx, a, key, "", "") })
	if err != nil {
		return ev, err
	}
	return ev, s.invalidate(ctx, a.SKU)
}

// tryAdjust applies a under key, as an event of kind (received or adjusted
// by the delta's sign when "") for orderID.
func (s *Store) tryAdjust(ctx context.Context, a Adjustment, key, kind, orderID string) (ev Event, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		prev, err := eventByKey(ctx, tx, key)
		switch {
		case err == nil:
			if prev.SKU != a.SKU || prev.WarehouseID != a.WarehouseID || prev.OnHandDelta != a.Delta {
				return ErrIdempotencyKeyReused
			}
			ev = prev
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		var onHand, reserved int
		var version int64
		err = tx.QueryRow(ctx, `SELECT on_hand, reserved, version FROM inventory.stock WHERE sku = $1 AND warehouse_id = $2`,
			a.SKU, a.WarehouseID).Scan(&onHand, &reserved, &version)
		if errors.Is(err, pgx.ErrNoRows) {
			err = addStockRow(ctx, tx, a.SKU, a.WarehouseID)
		}
		if err != nil {
			return err
		}
		if onHand+a.Delta < reserved {
			return &InsufficientStockError{SKU: a.SKU, WarehouseID: a.WarehouseID, Delta: a.Delta, Available: onHand - reserved}
		}
		switch {
		case kind != "":
		case a.Delta < 0:
			kind = EventAdjusted
		default:
			kind = EventReceived
		}
		ev, err = apply(ctx, tx, change{
			Event: Event{SKU: a.SKU, WarehouseID: a.WarehouseID, Kind: kind, OnHandDelta: a.Delta, OrderID: orderID,
				Actor: a.Actor, Reason: a.Reason},
			key: key, ifVersion: &version,
		})
		return err
	})
	return ev, err
}

// addStockRow creates an empty stock row (version 0: no events yet), or
// says which of the SKU and the warehouse is unknown.
func addStockRow(ctx context.Context, tx pgx.Tx, sku, warehouseID string) error {
	var skuKnown, warehouseKnown bool
	if err := tx.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM inventory.products WHERE sku = $1),
		EXISTS (SELECT 1 FROM inventory.warehouses WHERE id = $2)`, sku, warehouseID).Scan(&skuKnown, &warehouseKnown); err != nil {
		return err
	}
	switch {
	case !skuKnown:
		return fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	case !warehouseKnown:
		return fmt.Errorf("%w: %s", ErrUnknownWarehouse, warehouseID)
	}
	// A concurrent first adjustment may have added it: then our
	// compare-and-set on version 0 fails and the retry sees its row.
	_, err := tx.Exec(ctx, `INSERT INTO inventory.stock (sku, warehouse_id, on_hand) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`, sku, warehouseID)
	return err
}

func eventByKey(ctx context.Context, q querier, key string) (Event, error) {
	rows, err := q.Query(ctx, `SELECT `+eventColumns+` FROM inventory.stock_events WHERE idempotency_key = $1`, key)
	if err != nil {
		return Event{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Event])
}
