package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// completedOrder stores an order that has completed, with two planned
// shipments.
func completedOrder(t *testing.T, store *orders.Store) (orders.Input, []orders.Shipment) {
	t.Helper()
	ctx := context.Background()
	in := orders.Input{OrderID: uuid.NewString(), CustomerID: "c-1", Currency: "USD", Total: 2000,
		Items: []orders.Item{{SKU: "A", Quantity: 2, UnitPrice: 1000}}, PlacedAt: time.Now()}
	st := orders.State{OrderID: in.OrderID, Status: orders.StatusCompleted, Steps: []orders.Step{}, Version: 1, UpdatedAt: time.Now()}
	require.NoError(t, store.SaveState(ctx, in, st, nil))
	var list []orders.Shipment
	for _, wh := range []string{"eu-west", "us-east"} {
		list = append(list, orders.Shipment{ID: orders.ShipmentID(in.OrderID, wh), OrderID: in.OrderID, WarehouseID: wh,
			Items: []orders.Line{{SKU: "A", Quantity: 1}}})
	}
	require.NoError(t, store.PlanShipments(ctx, list))
	require.NoError(t, store.PlanShipments(ctx, list), "planning again changes nothing")
	return in, list
}

func TestShipmentsMoveTheOrderOnceAllOfThemHaveMoved(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	in, list := completedOrder(t, store)
	record := func(sh orders.Shipment, rev int, status orders.ShipmentStatus) orders.Status {
		sh.Revision, sh.Status, sh.UpdatedAt = rev, status, time.Now()
		moved, err := store.RecordShipment(ctx, sh, events.Origin{})
		require.NoError(t, err)
		return moved
	}
	require.Empty(t, record(list[0], 1, orders.ShipmentBooked))
	require.Empty(t, record(list[0], 2, orders.ShipmentInTransit), "one parcel of two has left")
	require.Empty(t, record(list[1], 1, orders.ShipmentBooked))
	require.Equal(t, orders.StatusShipped, record(list[1], 2, orders.ShipmentInTransit))
	require.Equal(t, orders.StatusShipped, record(list[1], 2, orders.ShipmentDelivered),
		"a write of a revision stored already changes nothing, and says again where the order is")
	require.Empty(t, record(list[1], 3, orders.ShipmentDelivered))
	require.Equal(t, orders.StatusDelivered, record(list[0], 3, orders.ShipmentDelivered))

	o, err := store.Get(ctx, in.OrderID)
	require.NoError(t, err)
	require.Equal(t, orders.StatusDelivered, o.Status)
	require.Len(t, o.Shipments, 2)
	require.Equal(t, orders.ShipmentDelivered, o.Shipments[0].Status)
	evs, err := store.Events(ctx, in.OrderID)
	require.NoError(t, err)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	require.Equal(t, []string{"order.shipped", "order.delivered"}, types)
}

// Two parcels leaving at once move the order once: the row lock makes the
// second writer see the first's parcel.
func TestParcelsLeavingTogetherShipTheOrderOnce(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	for range 10 {
		in, list := completedOrder(t, store)
		var wg sync.WaitGroup
		moved := make([]orders.Status, len(list))
		for i, sh := range list {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sh.Revision, sh.Status, sh.UpdatedAt = 1, orders.ShipmentInTransit, time.Now()
				var err error
				moved[i], err = store.RecordShipment(ctx, sh, events.Origin{})
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		require.ElementsMatch(t, []orders.Status{orders.StatusShipped, ""}, moved)
		o, err := store.Get(ctx, in.OrderID)
		require.NoError(t, err)
		require.Equal(t, orders.StatusShipped, o.Status)
	}
}

// A reset order that completes again keeps the status its parcels gave it.
func TestACompletedSagaDoesNotUndoItsShipments(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	in, list := completedOrder(t, store)
	for _, sh := range list {
		sh.Revision, sh.Status, sh.UpdatedAt = 1, orders.ShipmentInTransit, time.Now()
		_, err := store.RecordShipment(ctx, sh, events.Origin{})
		require.NoError(t, err)
	}
	st := orders.State{OrderID: in.OrderID, Status: orders.StatusCompleted, Steps: []orders.Step{}, Version: 9, UpdatedAt: time.Now()}
	require.NoError(t, store.SaveState(ctx, in, st, nil))
	o, err := store.Get(ctx, in.OrderID)
	require.NoError(t, err)
	require.Equal(t, orders.StatusShipped, o.Status)
}

// Parcels cancelled before their pickup: the order ends cancelled once all
// are; a parcel cancelled beside one delivered leaves the order delivered.
func TestCancelledParcelsCancelTheOrderOnceAllAre(t *testing.T) {
	ctx := context.Background()
	store := orders.NewStore(testPool)
	record := func(sh orders.Shipment, status orders.ShipmentStatus) orders.Status {
		sh.Revision, sh.Status, sh.UpdatedAt = sh.Revision+1, status, time.Now()
		moved, err := store.RecordShipment(ctx, sh, events.Origin{})
		require.NoError(t, err)
		return moved
	}
	_, list := completedOrder(t, store)
	require.Empty(t, record(list[0], orders.ShipmentCancelled))
	require.Equal(t, orders.StatusCancelled, record(list[1], orders.ShipmentCancelled))

	_, list = completedOrder(t, store)
	require.Empty(t, record(list[0], orders.ShipmentCancelled))
	require.Equal(t, orders.StatusDelivered, record(list[1], orders.ShipmentDelivered), "the parcel not cancelled arrived")
}
