package inventory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdjustReceivesAndCorrectsStock(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, map[string]int{"w1": 5})
	s := NewStore(testPool)

	ev, err := s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w2", Delta: 8, Reason: "restock", Actor: "admin"})
	require.NoError(t, err)
	require.Equal(t, EventReceived, ev.Kind, "a warehouse that did not stock the SKU gets a row")
	require.Equal(t, int64(1), ev.Version)
	require.Equal(t, "restock", ev.Reason)
	require.Equal(t, "admin", ev.Actor)

	ev, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: -2, Reason: "damaged", Actor: "admin"})
	require.NoError(t, err)
	require.Equal(t, EventAdjusted, ev.Kind)
	require.Equal(t, -2, ev.OnHandDelta)

	r := rows(t, sku)
	require.Equal(t, 3, r["w1"].OnHand)
	require.Equal(t, 8, r["w2"].OnHand)
}

func TestAdjustNeverTakesAvailableBelowZero(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, map[string]int{"w1": 5})
	s := NewStore(testPool)
	_, err := s.Reserve(ctx, reserveReq("res-"+sku, Line{SKU: sku, Quantity: 3}))
	require.NoError(t, err)

	_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: -3, Reason: "recount", Actor: "admin"})
	var short *InsufficientStockError
	require.ErrorAs(t, err, &short)
	require.Equal(t, 2, short.Available)
	require.Contains(t, err.Error(), "only 2 available")

	_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w2", Delta: -1, Reason: "recount", Actor: "admin"})
	require.ErrorAs(t, err, &short, "nothing at all in a warehouse without a row")

	_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: -2, Reason: "recount", Actor: "admin"})
	require.NoError(t, err, "down to exactly what is held")
	require.Equal(t, WarehouseStock{WarehouseID: "w1", OnHand: 3, Reserved: 3, Available: 0, Version: 3}, rows(t, sku)["w1"])
}

func TestAdjustRefusesUnknownSKUAndWarehouse(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, nil)
	s := NewStore(testPool)
	_, err := s.Adjust(ctx, Adjustment{SKU: "NOPE", WarehouseID: "w1", Delta: 1, Reason: "x", Actor: "admin"})
	require.ErrorIs(t, err, ErrUnknownSKU)
	_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "nowhere", Delta: 1, Reason: "x", Actor: "admin"})
	require.ErrorIs(t, err, ErrUnknownWarehouse)
	require.Empty(t, rows(t, sku))
}

func TestAdjustIsIdempotentByKey(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, nil)
	s := NewStore(testPool)
	a := Adjustment{SKU: sku, WarehouseID: "w1", Delta: 4, Reason: "restock", Actor: "admin", IdempotencyKey: "k-" + sku}
	first, err := s.Adjust(ctx, a)
	require.NoError(t, err)
	again, err := s.Adjust(ctx, a)
	require.NoError(t, err)

	require.Equal(t, first, again)
	require.Equal(t, 4, rows(t, sku)["w1"].OnHand, "applied once")
	a.Delta = 5
	_, err = s.Adjust(ctx, a)
	require.ErrorIs(t, err, ErrIdempotencyKeyReused)
}
