package workflows

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// fakeFulfilment books with a fake carrier and moves the order as the read
// model does: shipped when its parcel first leaves, delivered on arrival.
type fakeFulfilment struct {
	mu       sync.Mutex
	bookings []activities.BookShipmentRequest
	recorded []orders.Shipment
	started  []activities.StartWorkflowRequest
	claims   []orders.RefundClaim
	cancels  []activities.CancelShipmentRequest
	restocks []activities.RestockRequest
	order    orders.Status
	// pickedUp makes the carrier refuse cancels, as after a pickup.
	pickedUp bool
}

func (f *fakeFulfilment) register(s *ShipmentWorkflowSuite) {
	f.order = orders.StatusCompleted
	s.env.OnActivity(fulfilmentActivities.BookShipment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.BookShipmentRequest) (carrier.Shipment, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.bookings = append(f.bookings, req)
			return carrier.Shipment{ID: fmt.Sprintf("shp_%d", len(f.bookings)), Reference: req.ShipmentID, TrackingNumber: "SP1GB", LabelURL: "http://carrier/label", Status: carrier.StatusBooked}, nil
		})
	s.env.OnActivity(fulfilmentActivities.RecordShipment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, sh orders.Shipment) (orders.Status, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.recorded = append(f.recorded, sh)
			next := f.order
			switch {
			case sh.Status == orders.ShipmentCancelled:
				next = orders.StatusCancelled
			case sh.Status == orders.ShipmentDelivered:
				next = orders.StatusDelivered
			case sh.Status.Left() && f.order == orders.StatusCompleted:
				next = orders.StatusShipped
			}
			if next == f.order {
				return "", nil
			}
			f.order = next
			return next, nil
		})
	s.env.OnActivity(fulfilmentActivities.ClaimRefund, mock.Anything, mock.Anything).Return(
		func(_ context.Context, c orders.RefundClaim) (orders.Refund, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.claims = append(f.claims, c)
			return orders.Refund{ID: "r-1", OrderID: c.OrderID, Amount: c.Amount, Status: orders.RefundPending}, nil
		})
	s.env.OnActivity(fulfilmentActivities.CancelShipment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.CancelShipmentRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.cancels = append(f.cancels, req)
			if f.pickedUp {
				return temporal.NewNonRetryableApplicationError("already picked up", activities.ErrPickedUp, nil)
			}
			return nil
		})
	s.env.OnActivity(inventoryActivities.Restock, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.RestockRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.restocks = append(f.restocks, req)
			return nil
		})
	s.env.OnActivity(temporalActivities.StartWorkflow, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.StartWorkflowRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.started = append(f.started, req)
			return nil
		})
}

func testShipment() ShipmentInput {
	in := testOrder()
	in.PaymentToken = ""
	return ShipmentInput{Order: in, Shipment: orders.Shipment{ID: "shp-o-1-w1", OrderID: "o-1", WarehouseID: "w1",
		Status: orders.ShipmentPending, Items: []orders.Line{{SKU: "SKU-1", Quantity: 2}}}}
}

// track sends the carrier's events, one a minute, as its callbacks would.
func (s *ShipmentWorkflowSuite) track(events ...carrier.TrackingEvent) {
	for i, ev := range events {
		s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalTracking, ev) }, time.Duration(i+1)*time.Minute)
	}
}

func event(seq int, status string) carrier.TrackingEvent {
	return carrier.TrackingEvent{ID: "evt_" + status, ShipmentID: "shp_1", Reference: "shp-o-1-w1", Status: status, Sequence: seq,
		OccurredAt: time.Date(2026, 1, 2, 0, seq, 0, 0, time.UTC)}
}

func (s *ShipmentWorkflowSuite) TestShipmentIsBookedTrackedAndDelivered() {
	t := s.T()
	f := &fakeFulfilment{}
	f.register(s)
	s.track(event(1, carrier.StatusInTransit),
		event(1, carrier.StatusInTransit),                                             // repeated
		carrier.TrackingEvent{ShipmentID: "shp_1", Status: "teleported", Sequence: 2}, // no status of ours
		event(3, carrier.StatusOutForDelivery),
		event(2, carrier.StatusException),                                                            // overtaken by 3
		carrier.TrackingEvent{ShipmentID: "shp_other", Status: carrier.StatusDelivered, Sequence: 9}, // another parcel's
		event(4, carrier.StatusDelivered))
	s.env.ExecuteWorkflow(ShipmentWorkflow, testShipment())
	require.NoError(t, s.env.GetWorkflowError())
	var sh orders.Shipment
	require.NoError(t, s.env.GetWorkflowResult(&sh))

	require.Equal(t, []activities.BookShipmentRequest{{IdempotencyKey: "shp-o-1-w1:book", ShipmentID: "shp-o-1-w1", WarehouseID: "w1",
		Items: []orders.Line{{SKU: "SKU-1", Quantity: 2}}}}, f.bookings)
	var statuses []orders.ShipmentStatus
	for i, r := range f.recorded {
		statuses = append(statuses, r.Status)
		require.Equal(t, i+1, r.Revision, "each write is a later revision")
	}
	require.Equal(t, []orders.ShipmentStatus{orders.ShipmentBooked, orders.ShipmentInTransit, orders.ShipmentOutForDelivery, orders.ShipmentDelivered},
		statuses, "repeated, overtaken, unknown and foreign events change nothing")
	require.Equal(t, orders.ShipmentDelivered, sh.Status)
	require.Equal(t, "SP1GB", sh.TrackingNumber)
	require.Equal(t, carrier.Name, sh.Carrier)
	require.Equal(t, event(1, "").OccurredAt, *sh.ShippedAt)
	require.Equal(t, event(4, "").OccurredAt, *sh.DeliveredAt)

	// The customer heard twice: shipped, then delivered.
	require.Len(t, f.started, 2)
	require.Equal(t, "notification-o-1-shipped", f.started[0].WorkflowID)
	require.Equal(t, "notification-o-1-delivered", f.started[1].WorkflowID)
	require.Equal(t, NotificationsTaskQueue, f.started[0].TaskQueue)
}

// A lost parcel waits for an admin, who reships it: a new booking, whose
// own events take it to the door.
func (s *ShipmentWorkflowSuite) TestLostParcelIsReshipped() {
	t := s.T()
	f := &fakeFulfilment{}
	f.register(s)
	s.env.RegisterDelayedCallback(func() {
		// Made while the parcel travels: dropped, or it would refund it.
		s.env.SignalWorkflow(SignalLostParcel, LostParcelDecision{Action: LostParcelRefund})
	}, 30*time.Second)
	s.track(event(1, carrier.StatusInTransit), event(2, carrier.StatusLost))
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(SignalLostParcel, LostParcelDecision{Action: "teleport"}) // ignored
		s.env.SignalWorkflow(SignalLostParcel, LostParcelDecision{Action: LostParcelReship, By: "admin:1"})
	}, 10*time.Minute)
	for i, st := range []string{carrier.StatusInTransit, carrier.StatusDelivered} {
		ev := carrier.TrackingEvent{ID: "evt2_" + st, ShipmentID: "shp_2", Reference: "shp-o-1-w1", Status: st, Sequence: i + 1}
		s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalTracking, ev) }, time.Duration(20+i)*time.Minute)
	}
	s.env.ExecuteWorkflow(ShipmentWorkflow, testShipment())
	require.NoError(t, s.env.GetWorkflowError())
	var sh orders.Shipment
	require.NoError(t, s.env.GetWorkflowResult(&sh))
	require.Equal(t, orders.ShipmentDelivered, sh.Status)
	require.Equal(t, "shp_2", sh.CarrierShipmentID)
	require.Len(t, f.bookings, 2)
	require.Equal(t, "shp-o-1-w1:book:1", f.bookings[1].IdempotencyKey, "a reship is a booking of its own")
	require.Empty(t, f.claims)
}

// A lost parcel an admin refunds gives back its lines' share, once.
func (s *ShipmentWorkflowSuite) TestLostParcelIsRefunded() {
	t := s.T()
	f := &fakeFulfilment{}
	f.register(s)
	s.track(event(1, carrier.StatusInTransit), event(2, carrier.StatusLost))
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(SignalLostParcel, LostParcelDecision{Action: LostParcelRefund, Reason: "customer waited long enough"})
	}, 10*time.Minute)
	s.env.ExecuteWorkflow(ShipmentWorkflow, testShipment())
	require.NoError(t, s.env.GetWorkflowError())
	var sh orders.Shipment
	require.NoError(t, s.env.GetWorkflowResult(&sh))
	require.Equal(t, orders.ShipmentRefunded, sh.Status, "no longer holding the order back")
	require.Equal(t, orders.ShipmentRefunded, f.recorded[len(f.recorded)-1].Status)
	require.Equal(t, []orders.RefundClaim{{OrderID: "o-1", IdempotencyKey: "lost:shp-o-1-w1", Amount: 5000, AtMost: true,
		Reason: "parcel lost by the carrier: customer waited long enough", RequestedBy: "lost-parcel decision"}}, f.claims)
	last := f.started[len(f.started)-1]
	require.Equal(t, "refund-r-1", last.WorkflowID)
	require.Equal(t, OrdersTaskQueue, last.TaskQueue)
	require.Equal(t, "RefundWorkflow", last.WorkflowType)
}

// cancel sends the cancel update after delay and keeps its outcome.
func (s *ShipmentWorkflowSuite) cancel(delay time.Duration, id string) *cancelOutcome {
	out := &cancelOutcome{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateCancelShipment, id, &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { out.rejected = err },
			OnAccept:   func() {},
			OnComplete: func(v any, err error) { out.err = err; out.done = true },
		}, Decision{Reason: "changed my mind", By: "customer:c-1"})
	}, delay)
	return out
}

type cancelOutcome struct {
	rejected, err error
	done          bool
}

// A parcel cancelled before its pickup is cancelled at the carrier, its
// lines go back on hand where they were picked and are refunded, each
// once, and the workflow ends with the parcel cancelled.
func (s *ShipmentWorkflowSuite) TestParcelCancelledBeforePickup() {
	t := s.T()
	f := &fakeFulfilment{}
	f.register(s)
	first, repeat := s.cancel(time.Minute, "cancel"), s.cancel(time.Minute, "cancel-again")
	s.env.ExecuteWorkflow(ShipmentWorkflow, testShipment())
	require.NoError(t, s.env.GetWorkflowError())
	var sh orders.Shipment
	require.NoError(t, s.env.GetWorkflowResult(&sh))
	require.Equal(t, orders.ShipmentCancelled, sh.Status)
	require.NoError(t, first.rejected)
	require.True(t, first.done)
	require.NoError(t, first.err)
	require.NoError(t, repeat.rejected)
	require.True(t, repeat.done)
	require.NoError(t, repeat.err, "a second cancel while the first runs answers as the first")

	require.Equal(t, []activities.CancelShipmentRequest{{IdempotencyKey: "shp-o-1-w1:cancel", CarrierShipmentID: "shp_1"}}, f.cancels)
	require.Len(t, f.restocks, 1)
	require.Equal(t, activities.RestockRequest{IdempotencyKey: "shp-o-1-w1:cancel", OrderID: "o-1",
		Lines:  []inventory.Allocation{{SKU: "SKU-1", WarehouseID: "w1", Quantity: 2}},
		Reason: "order cancelled before its parcel's pickup: changed my mind"}, f.restocks[0])
	require.Equal(t, []orders.RefundClaim{{OrderID: "o-1", IdempotencyKey: "cancel:shp-o-1-w1", Amount: 5000, AtMost: true,
		Reason: "order cancelled before its parcel's pickup: changed my mind", RequestedBy: "customer:c-1"}}, f.claims)
	require.Equal(t, orders.ShipmentCancelled, f.recorded[len(f.recorded)-1].Status)
	require.Equal(t, "refund-r-1", f.started[len(f.started)-1].WorkflowID)
}

// A parcel that has left is refused at once; one the carrier picked up
// while the cancel was on its way is refused by the carrier, and tracking
// goes on to the door. Nothing is restocked or refunded.
func (s *ShipmentWorkflowSuite) TestParcelPickedUpIsNotCancelled() {
	t := s.T()
	f := &fakeFulfilment{pickedUp: true}
	f.register(s)
	raced := s.cancel(30*time.Second, "cancel")
	s.track(event(1, carrier.StatusInTransit), event(2, carrier.StatusDelivered))
	late := s.cancel(90*time.Second, "late")
	s.env.ExecuteWorkflow(ShipmentWorkflow, testShipment())
	require.NoError(t, s.env.GetWorkflowError())
	var sh orders.Shipment
	require.NoError(t, s.env.GetWorkflowResult(&sh))
	require.Equal(t, orders.ShipmentDelivered, sh.Status)

	var appErr *temporal.ApplicationError
	require.NoError(t, raced.rejected)
	require.ErrorAs(t, raced.err, &appErr)
	require.Equal(t, ErrPickedUp, appErr.Type())
	require.ErrorAs(t, late.rejected, &appErr, "refused by the validator: no trace in the history")
	require.Equal(t, ErrPickedUp, appErr.Type())
	require.Len(t, f.cancels, 1)
	require.Empty(t, f.restocks)
	require.Empty(t, f.claims)
}
