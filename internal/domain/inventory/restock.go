package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Restock puts sold goods back on hand in the warehouses they shipped
// from: a parcel cancelled before its pickup, a return received. Key names
// the fact (the shipment cancelled, the return), so a retry restocks once.
type Restock struct {
	OrderID        string
	Lines          []Allocation
	Reason         string
	Actor          string
	IdempotencyKey string
}

// Restock records one returned event per SKU and warehouse of r, each
// once: a line restocked already is skipped, so a retry after a partial
// failure restocks the rest.
func (s *Store) Restock(ctx context.Context, r Restock) error {
	if r.IdempotencyKey == "" {
		return errors.New("inventory: a restock needs an idempotency key")
	}
	var skus []string
	for _, l := range mergeAllocations(r.Lines) {
		if l.Quantity <= 0 {
			return fmt.Errorf("inventory: restock of %d %s", l.Quantity, l.SKU)
		}
		a := Adjustment{SKU: l.SKU, WarehouseID: l.WarehouseID, Delta: l.Quantity, Reason: r.Reason, Actor: r.Actor}
		key := "restock:" + r.IdempotencyKey + ":" + l.SKU + ":" + l.WarehouseID
		if _, err := retryConflicts(ctx, func() (Event, error) { return s.tryAdjust(ctx, a, key, EventReturned, r.OrderID) }); err != nil {
			return err
		}
		skus = append(skus, l.SKU)
	}
	return s.invalidate(ctx, skus...)
}

// mergeAllocations sums the quantities of each SKU and warehouse, so each
// gets one event (and one key).
func mergeAllocations(lines []Allocation) []Allocation {
	var out []Allocation
	for _, l := range lines {
		i := slices.IndexFunc(out, func(o Allocation) bool { return o.SKU == l.SKU && o.WarehouseID == l.WarehouseID })
		if i < 0 {
			i = len(out)
			out = append(out, Allocation{SKU: l.SKU, WarehouseID: l.WarehouseID})
		}
		out[i].Quantity += l.Quantity
	}
	return out
}
