package inventory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every kind of change leaves the stock rows equal to the replay of the
// ledger; a row changed behind the ledger's back is found, and rebuilt.
func TestLedgerReplayReproducesStockRowsExactly(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	sku := newSKU(t, map[string]int{"w1": 6, "w2": 4})
	for i, end := range []string{StatusCommitted, StatusReleased, StatusExpired, StatusReserved} {
		id := "res-" + sku + "-" + end
		_, err := s.Reserve(ctx, reserveReq(id, Line{SKU: sku, Quantity: 2 + i%2}))
		require.NoError(t, err)
		switch end {
		case StatusCommitted:
			require.NoError(t, s.Commit(ctx, id, "test"))
		case StatusReleased, StatusExpired:
			require.NoError(t, s.Release(ctx, Release{ReservationID: id, Actor: "test", Expired: end == StatusExpired}))
		}
	}
	_, err := s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w2", Delta: -1, Reason: "damaged", Actor: "test"})
	require.NoError(t, err)

	drifts, err := s.CheckProjection(ctx)
	require.NoError(t, err)
	require.Empty(t, drifts, "the rows are exactly their ledger")

	_, err = testPool.Exec(ctx, `UPDATE inventory.stock SET on_hand = on_hand + 7 WHERE sku = $1 AND warehouse_id = 'w1'`, sku)
	require.NoError(t, err)
	drifts, err = s.CheckProjection(ctx)
	require.NoError(t, err)
	require.Len(t, drifts, 1)
	require.Equal(t, sku, drifts[0].SKU)
	require.Equal(t, "w1", drifts[0].WarehouseID)
	require.Equal(t, drifts[0].Ledger.OnHand+7, drifts[0].Row.OnHand)
	require.Contains(t, drifts[0].String(), sku+"/w1: row on_hand=")

	before := rows(t, sku)["w1"]
	rebuilt, err := s.RebuildProjection(ctx)
	require.NoError(t, err)
	require.Equal(t, drifts, rebuilt)
	require.Equal(t, before.OnHand-7, rows(t, sku)["w1"].OnHand)
	drifts, err = s.CheckProjection(ctx)
	require.NoError(t, err)
	require.Empty(t, drifts)
}

func TestEventsPageNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	sku := newSKU(t, map[string]int{"w1": 1})
	for range 4 {
		_, err := s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: 1, Reason: "restock", Actor: "test"})
		require.NoError(t, err)
	}

	var seen []int64
	cursor := ""
	for page := 0; ; page++ {
		p, err := s.Events(ctx, sku, 2, cursor)
		require.NoError(t, err)
		for _, ev := range p.Events {
			seen = append(seen, ev.Version)
		}
		if p.NextCursor == "" {
			require.Equal(t, 2, page, "5 events in pages of 2")
			break
		}
		cursor = p.NextCursor
	}
	require.Equal(t, []int64{5, 4, 3, 2, 1}, seen)

	_, err := s.Events(ctx, sku, 2, "not-a-cursor")
	require.ErrorIs(t, err, ErrBadCursor)
	_, err = s.Events(ctx, "NOPE", 2, "")
	require.ErrorIs(t, err, ErrUnknownSKU)
	empty, err := s.Events(ctx, newSKU(t, nil), 2, "")
	require.NoError(t, err)
	require.NotNil(t, empty.Events, "an empty page is [], not null")
}
