package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// deliveredOrder stores a completed order whose two parcels (one unit of A
// each) were delivered at the given times.
func deliveredOrder(t *testing.T, store *orders.Store, at ...time.Time) orders.Input {
	t.Helper()
	in, list := completedOrder(t, store)
	for i, sh := range list {
		sh.Revision, sh.Status, sh.DeliveredAt, sh.UpdatedAt = 1, orders.ShipmentDelivered, &at[i], time.Now()
		_, err := store.RecordShipment(context.Background(), sh, events.Origin{})
		require.NoError(t, err)
	}
	return in
}

func claim(key string, qty int) orders.ReturnClaim {
	return orders.ReturnClaim{IdempotencyKey: key, Items: []orders.Line{{SKU: "A", Quantity: qty}}, Reason: "too small",
		RequestedBy: "customer:c-1", Window: 30 * 24 * time.Hour}
}

func TestReturnTakesDeliveredLinesOnceWithinTheWindow(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	now := time.Now()
	in := deliveredOrder(t, store, now.Add(-40*24*time.Hour), now.Add(-time.Hour))
	c := claim("k1", 1)
	c.OrderID = in.OrderID

	r, created, err := store.ClaimReturn(ctx, c)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, orders.ReturnRequested, r.Status)
	require.Equal(t, int64(1000), r.Amount, "one unit at the order's price")
	require.Equal(t, []orders.ReturnLine{{Line: orders.Line{SKU: "A", Quantity: 1}, ShipmentID: orders.ShipmentID(in.OrderID, "us-east"),
		WarehouseID: "us-east", UnitPrice: 1000}}, r.Items, "from the parcel delivered within the window")

	again, created, err := store.ClaimReturn(ctx, c)
	require.NoError(t, err)
	require.False(t, created, "a repeat finds the first")
	require.Equal(t, r.ID, again.ID)
	other := c
	other.Reason = "changed my mind"
	_, _, err = store.ClaimReturn(ctx, other)
	require.ErrorIs(t, err, orders.ErrIdempotencyKeyReused)

	c.IdempotencyKey = "k2"
	_, _, err = store.ClaimReturn(ctx, c)
	var tooLarge *orders.ReturnTooLargeError
	require.ErrorAs(t, err, &tooLarge, "the other unit arrived 40 days ago")
	require.Equal(t, 0, tooLarge.Returnable)

	late := deliveredOrder(t, store, now.Add(-40*24*time.Hour), now.Add(-31*24*time.Hour))
	c.OrderID = late.OrderID
	_, _, err = store.ClaimReturn(ctx, c)
	require.ErrorIs(t, err, orders.ErrReturnWindowClosed)

	undelivered, _ := completedOrder(t, store)
	c.OrderID = undelivered.OrderID
	_, _, err = store.ClaimReturn(ctx, c)
	require.ErrorIs(t, err, orders.ErrNothingDelivered)

	r.Status, r.Revision, r.TrackingNumber, r.UpdatedAt = orders.ReturnLabelIssued, 1, "SP1GB", time.Now()
	require.NoError(t, store.RecordReturn(ctx, r))
	r.Status = orders.ReturnRequested
	require.NoError(t, store.RecordReturn(ctx, r), "a late write of revision 1")
	got, err := store.GetReturn(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, orders.ReturnLabelIssued, got.Status)
	list, err := store.Returns(ctx, in.OrderID)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

// A cancelled return (its label refused, or unused) gives its units back
// to the order's returnable lines.
func TestCancelledReturnFreesItsLines(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	now := time.Now()
	c := claim("k1", 2)
	c.OrderID = deliveredOrder(t, store, now.Add(-time.Hour), now.Add(-time.Hour)).OrderID
	r, _, err := store.ClaimReturn(ctx, c)
	require.NoError(t, err)
	again := claim("k2", 1)
	again.OrderID = c.OrderID
	_, _, err = store.ClaimReturn(ctx, again)
	var tooLarge *orders.ReturnTooLargeError
	require.ErrorAs(t, err, &tooLarge, "both units are being returned")

	r.Status, r.Revision, r.UpdatedAt = orders.ReturnCancelled, 1, time.Now()
	require.NoError(t, store.RecordReturn(ctx, r))
	_, created, err := store.ClaimReturn(ctx, again)
	require.NoError(t, err)
	require.True(t, created, "the cancelled return holds nothing")
}

// Customers returning the same units at once: the order's row lock lets
// each unit be returned once.
func TestConcurrentReturnsNeverReturnAUnitTwice(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	now := time.Now()
	in := deliveredOrder(t, store, now, now)
	var wg sync.WaitGroup
	returns := make([]orders.Return, 6)
	errs := make([]error, 6)
	for i := range returns {
		wg.Go(func() {
			c := claim(string(rune('a'+i)), 1)
			c.OrderID = in.OrderID
			returns[i], _, errs[i] = store.ClaimReturn(ctx, c)
		})
	}
	wg.Wait()
	returned := 0
	for i, err := range errs {
		var tooLarge *orders.ReturnTooLargeError
		if err != nil {
			require.ErrorAs(t, err, &tooLarge, "the only refusal is of a unit taken")
			continue
		}
		returned += returns[i].Items[0].Quantity
	}
	require.Equal(t, 2, returned, "two units delivered, two returned")
}
