package inventory

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReserveTakesFromTheFullestWarehouseFirst(t *testing.T) {
	sku := newSKU(t, map[string]int{"w1": 4, "w2": 10})
	res, err := NewStore(testPool).Reserve(context.Background(), reserveReq("res-"+sku, Line{SKU: sku, Quantity: 3}))
	require.NoError(t, err)

	require.Equal(t, StatusReserved, res.Status)
	require.Equal(t, []Allocation{{SKU: sku, WarehouseID: "w2", Quantity: 3}}, res.Allocations, "one warehouse has enough: no split")
	r := rows(t, sku)
	require.Equal(t, 3, r["w2"].Reserved)
	require.Equal(t, 7, r["w2"].Available)
	require.Equal(t, 0, r["w1"].Reserved)
}

func TestReserveSplitsALineWhenNoWarehouseHasEnough(t *testing.T) {
	sku := newSKU(t, map[string]int{"w1": 3, "w2": 5})
	res, err := NewStore(testPool).Reserve(context.Background(), reserveReq("res-"+sku, Line{SKU: sku, Quantity: 7}))
	require.NoError(t, err)

	require.ElementsMatch(t, []Allocation{{SKU: sku, WarehouseID: "w2", Quantity: 5}, {SKU: sku, WarehouseID: "w1", Quantity: 2}}, res.Allocations,
		"all of the fullest warehouse, the rest from the next")
	r := rows(t, sku)
	require.Equal(t, WarehouseStock{WarehouseID: "w1", OnHand: 3, Reserved: 2, Available: 1, Version: 2}, r["w1"])
	require.Equal(t, WarehouseStock{WarehouseID: "w2", OnHand: 5, Reserved: 5, Available: 0, Version: 2}, r["w2"])

	// One ledger event per warehouse touched, naming the reservation and order.
	evs := ledger(t, sku)
	require.Len(t, evs, 4)
	for _, ev := range evs[2:] {
		require.Equal(t, EventReserved, ev.Kind)
		require.Equal(t, "res-"+sku, ev.ReservationID)
		require.Equal(t, "order-res-"+sku, ev.OrderID)
		require.Equal(t, "test", ev.Actor)
		require.Equal(t, 0, ev.OnHandDelta)
		require.Equal(t, int64(2), ev.Version)
	}
	stored, err := NewStore(testPool).GetReservation(context.Background(), "res-"+sku)
	require.NoError(t, err)
	require.ElementsMatch(t, res.Allocations, stored.Allocations)
	require.NotNil(t, stored.ExpiresAt)
}

func TestReserveIsAllOrNothing(t *testing.T) {
	plenty := newSKU(t, map[string]int{"w1": 10})
	scarce := newSKU(t, map[string]int{"w1": 1, "w2": 1})
	s := NewStore(testPool)
	_, err := s.Reserve(context.Background(), reserveReq("res-"+scarce, Line{SKU: plenty, Quantity: 2}, Line{SKU: scarce, Quantity: 3}))

	var oos *OutOfStockError
	require.ErrorAs(t, err, &oos)
	require.ErrorIs(t, err, ErrOutOfStock)
	require.Equal(t, OutOfStockError{SKU: scarce, Requested: 3, Available: 2}, *oos)
	require.Equal(t, "out of stock: "+scarce+": 3 requested, 2 available", err.Error())
	require.Zero(t, rows(t, plenty)["w1"].Reserved, "the line that fit was not reserved either")
	require.Len(t, ledger(t, plenty), 1, "nothing appended to the ledger")
	_, err = s.GetReservation(context.Background(), "res-"+scarce)
	require.ErrorIs(t, err, ErrReservationNotFound)
}

func TestReserveIsIdempotentByReservationID(t *testing.T) {
	sku := newSKU(t, map[string]int{"w1": 10})
	s := NewStore(testPool)
	first, err := s.Reserve(context.Background(), reserveReq("res-"+sku, Line{SKU: sku, Quantity: 4}))
	require.NoError(t, err)
	again, err := s.Reserve(context.Background(), reserveReq("res-"+sku, Line{SKU: sku, Quantity: 4}))
	require.NoError(t, err)

	require.Equal(t, first.Allocations, again.Allocations)
	require.Equal(t, 4, rows(t, sku)["w1"].Reserved, "reserved once")
	require.Len(t, ledger(t, sku), 2)
}

func TestReserveUnknownSKU(t *testing.T) {
	_, err := NewStore(testPool).Reserve(context.Background(), reserveReq("res-unknown", Line{SKU: "NOPE", Quantity: 1}))
	require.ErrorIs(t, err, ErrUnknownSKU)
}

// Many reservations race for scarce stock across two warehouses: exactly the
// stock there is gets reserved, no row goes negative, and the losers are
// told out of stock. Compare-and-set conflicts are retried, not failed.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	sku := newSKU(t, map[string]int{"w1": 3, "w2": 2})
	s := NewStore(testPool)
	const buyers = 100
	var wg sync.WaitGroup
	errs := make([]error, buyers)
	start := make(chan struct{})
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Reserve(context.Background(), reserveReq("res-"+sku+"-"+strconv.Itoa(i), Line{SKU: sku, Quantity: 1}))
		}()
	}
	close(start)
	wg.Wait()

	reserved, outOfStock := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			reserved++
		case errors.Is(err, ErrOutOfStock):
			outOfStock++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	require.Equal(t, 5, reserved)
	require.Equal(t, buyers-5, outOfStock)
	for _, r := range rows(t, sku) {
		require.Zero(t, r.Available, "%s: all of it reserved, none beyond", r.WarehouseID)
		require.Equal(t, r.OnHand, r.Reserved)
	}
	drifts, err := s.CheckProjection(context.Background())
	require.NoError(t, err)
	require.Empty(t, drifts)
}
