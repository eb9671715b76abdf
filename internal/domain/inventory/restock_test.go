package inventory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRestockReturnsSoldGoodsOnce(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, map[string]int{"w1": 5, "w2": 5})
	s := NewStore(testPool)
	r := Restock{OrderID: "ord-1", Reason: "return ret-1 received", Actor: "workflow:ret-1", IdempotencyKey: "ret-1",
		Lines: []Allocation{{SKU: sku, WarehouseID: "w1", Quantity: 1}, {SKU: sku, WarehouseID: "w2", Quantity: 2},
			{SKU: sku, WarehouseID: "w1", Quantity: 1}}}

	require.NoError(t, s.Restock(ctx, r))
	require.NoError(t, s.Restock(ctx, r), "a retry")
	got := rows(t, sku)
	require.Equal(t, 7, got["w1"].OnHand, "the two w1 lines as one")
	require.Equal(t, 7, got["w2"].OnHand)

	page, err := s.Events(ctx, sku, 10, "")
	require.NoError(t, err)
	var returned []Event
	for _, ev := range page.Events {
		if ev.Kind == EventReturned {
			returned = append(returned, ev)
		}
	}
	require.Len(t, returned, 2, "one event per warehouse, once")
	require.Equal(t, "ord-1", returned[0].OrderID)
	require.Equal(t, "return ret-1 received", returned[0].Reason)

	r.IdempotencyKey = ""
	require.Error(t, s.Restock(ctx, r), "a restock without a key could run twice")
}
