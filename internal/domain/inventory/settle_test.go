package inventory

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommitSellsTheStockOnce(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, map[string]int{"w1": 3, "w2": 5})
	s := NewStore(testPool)
	id := "res-" + sku
	_, err := s.Reserve(ctx, reserveReq(id, Line{SKU: sku, Quantity: 7}))
	require.NoError(t, err)

	require.NoError(t, s.Commit(ctx, id, "test"))
	require.NoError(t, s.Commit(ctx, id, "test"), "a retried commit succeeds")

	r := rows(t, sku)
	require.Equal(t, WarehouseStock{WarehouseID: "w1", OnHand: 1, Reserved: 0, Available: 1, Version: 3}, r["w1"])
	require.Equal(t, WarehouseStock{WarehouseID: "w2", OnHand: 0, Reserved: 0, Available: 0, Version: 3}, r["w2"])
	evs := ledger(t, sku)
	require.Len(t, evs, 6, "2 received, 2 reserved, 2 committed")
	for _, ev := range evs[4:] {
		require.Equal(t, EventCommitted, ev.Kind)
		require.Equal(t, ev.OnHandDelta, ev.ReservedDelta)
		require.Negative(t, ev.OnHandDelta)
	}
	res, err := s.GetReservation(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StatusCommitted, res.Status)

	require.ErrorIs(t, s.Release(ctx, Release{ReservationID: id, OrderID: "o", Actor: "test"}), ErrReservationCommitted)
}

// holdTwoOfFive reserves 2 of a new SKU's 5 units in w1, as an order does.
func holdTwoOfFive(t *testing.T) (s *Store, sku, id string) {
	t.Helper()
	sku = newSKU(t, map[string]int{"w1": 5})
	s, id = NewStore(testPool), "res-"+sku
	_, err := s.Reserve(context.Background(), reserveReq(id, Line{SKU: sku, Quantity: 2}))
	require.NoError(t, err)
	return s, sku, id
}

func TestReleaseGivesTheStockBackOnce(t *testing.T) {
	ctx := context.Background()
	s, sku, id := holdTwoOfFive(t)

	rel := Release{ReservationID: id, OrderID: "order-" + id, Actor: "test", Reason: "card declined"}
	require.NoError(t, s.Release(ctx, rel))
	require.NoError(t, s.Release(ctx, rel), "a retried release succeeds")
	require.NoError(t, s.Release(ctx, Release{ReservationID: id, Actor: "test", Expired: true}), "an expiry after the release changes nothing")

	require.Equal(t, WarehouseStock{WarehouseID: "w1", OnHand: 5, Reserved: 0, Available: 5, Version: 3}, rows(t, sku)["w1"])
	evs := ledger(t, sku)
	require.Len(t, evs, 3)
	require.Equal(t, EventReleased, evs[2].Kind)
	require.Equal(t, -2, evs[2].ReservedDelta)
	require.Equal(t, "card declined", evs[2].Reason)
	require.ErrorIs(t, s.Commit(ctx, id, "test"), ErrReservationReleased, "released stock cannot be sold")
}

func TestExpiryIsARelease(t *testing.T) {
	ctx := context.Background()
	s, sku, id := holdTwoOfFive(t)

	require.NoError(t, s.Release(ctx, Release{ReservationID: id, Actor: "test", Reason: "reservation expired", Expired: true}))

	res, err := s.GetReservation(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StatusExpired, res.Status)
	require.Zero(t, rows(t, sku)["w1"].Reserved)
	err = s.Commit(ctx, id, "test")
	require.ErrorIs(t, err, ErrReservationReleased)
	require.ErrorContains(t, err, "expired")
}

// A release can overtake its reserve (an attempt that timed out but still
// runs): the release is remembered, and the late reserve holds nothing.
func TestReleaseBeforeReserveKeepsTheReserveFromHolding(t *testing.T) {
	ctx := context.Background()
	sku := newSKU(t, map[string]int{"w1": 5})
	s := NewStore(testPool)
	id := "res-" + sku
	require.NoError(t, s.Release(ctx, Release{ReservationID: id, OrderID: "order-" + id, Actor: "test", Reason: "reserving failed"}))

	res, err := s.Reserve(ctx, reserveReq(id, Line{SKU: sku, Quantity: 2}))
	require.NoError(t, err)
	require.Equal(t, StatusReleased, res.Status)
	require.Empty(t, res.Allocations)
	require.Zero(t, rows(t, sku)["w1"].Reserved)
}

// Settlements of one row race (they take no compare-and-set): every one is
// applied once, and the row still replays exactly from its ledger, its time
// included, although transactions do not finish in the order they began.
func TestConcurrentSettlementsKeepTheRowEqualToItsLedger(t *testing.T) {
	ctx := context.Background()
	const n = 60
	sku := newSKU(t, map[string]int{"w1": n})
	s := NewStore(testPool)
	for i := range n {
		_, err := s.Reserve(ctx, reserveReq("res-"+sku+"-"+strconv.Itoa(i), Line{SKU: sku, Quantity: 1}))
		require.NoError(t, err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := "res-" + sku + "-" + strconv.Itoa(i)
			if i%2 == 0 {
				assert.NoError(t, s.Commit(ctx, id, "test"))
			} else {
				assert.NoError(t, s.Release(ctx, Release{ReservationID: id, Actor: "test"}))
			}
		}()
	}
	close(start)
	wg.Wait()

	require.Equal(t, WarehouseStock{WarehouseID: "w1", OnHand: n / 2, Reserved: 0, Available: n / 2, Version: 2*n + 1}, rows(t, sku)["w1"])
	drifts, err := s.CheckProjection(ctx)
	require.NoError(t, err)
	require.Empty(t, drifts)
}
