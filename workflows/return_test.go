package workflows

import (
	"context"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// fakeReturns keeps a return as the read model would, issues labels as the
// carrier would, and claims refunds within what is left of a capture.
type fakeReturns struct {
	mu        sync.Mutex
	ret       orders.Return
	bookings  []activities.BookReturnRequest
	recorded  []orders.ReturnStatus
	restocks  []activities.RestockRequest
	claims    []orders.RefundClaim
	started   []activities.StartWorkflowRequest
	remaining int64 // what the capture has left
	// bookErr fails the label's booking; cancels are the labels cancelled
	// at the carrier, cancelErr their answer.
	bookErr   error
	cancels   []activities.CancelShipmentRequest
	cancelErr error
}

func (f *fakeReturns) register(s *ReturnWorkflowSuite) {
	s.env.OnActivity(fulfilmentActivities.LoadReturn, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (orders.Return, error) { return f.ret, nil })
	s.env.OnActivity(fulfilmentActivities.BookReturn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.BookReturnRequest) (carrier.Shipment, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.bookings = append(f.bookings, req)
			if f.bookErr != nil {
				return carrier.Shipment{}, f.bookErr
			}
			return carrier.Shipment{ID: "shp_r1", Reference: req.ReturnID, TrackingNumber: "SPR1GB", LabelURL: "http://carrier/label"}, nil
		})
	s.env.OnActivity(fulfilmentActivities.CancelShipment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.CancelShipmentRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.cancels = append(f.cancels, req)
			return f.cancelErr
		})
	s.env.OnActivity(fulfilmentActivities.RecordReturn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r orders.Return) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.recorded = append(f.recorded, r.Status)
			return nil
		})
	s.env.OnActivity(inventoryActivities.Restock, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.RestockRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.restocks = append(f.restocks, req)
			return nil
		})
	s.env.OnActivity(fulfilmentActivities.ClaimRefund, mock.Anything, mock.Anything).Return(
		func(_ context.Context, c orders.RefundClaim) (orders.Refund, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.claims = append(f.claims, c)
			amount := min(c.Amount, f.remaining)
			if amount == 0 {
				return orders.Refund{}, temporal.NewNonRetryableApplicationError("refunded in full", activities.ErrRefundRefused, nil)
			}
			return orders.Refund{ID: "r-9", OrderID: c.OrderID, Amount: amount, Status: orders.RefundPending}, nil
		})
	s.env.OnActivity(temporalActivities.StartWorkflow, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.StartWorkflowRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.started = append(f.started, req)
			return nil
		})
}

func testReturn() orders.Return {
	return orders.Return{ID: "ret-1", OrderID: "o-1", Amount: 3500, Currency: "USD", Reason: "too small", RequestedBy: "customer:c-1",
		Status: orders.ReturnRequested, Items: []orders.ReturnLine{
			{Line: orders.Line{SKU: "SKU-1", Quantity: 1}, ShipmentID: "shp-o-1-w1", WarehouseID: "w1", UnitPrice: 2500},
			{Line: orders.Line{SKU: "SKU-2", Quantity: 1}, ShipmentID: "shp-o-1-w2", WarehouseID: "w2", UnitPrice: 1000}}}
}

func (s *ReturnWorkflowSuite) trackBack(events ...carrier.TrackingEvent) {
	for i, ev := range events {
		s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalTracking, ev) }, time.Duration(i+1)*time.Hour)
	}
}

// runReturn runs the return ret-1 to its end and returns it.
func (s *ReturnWorkflowSuite) runReturn() orders.Return {
	t := s.T()
	t.Helper()
	s.env.ExecuteWorkflow(ReturnWorkflow, ReturnInput{ReturnID: "ret-1"})
	require.NoError(t, s.env.GetWorkflowError())
	var r orders.Return
	require.NoError(t, s.env.GetWorkflowResult(&r))
	return r
}

func returnEvent(seq int, status string) carrier.TrackingEvent {
	return carrier.TrackingEvent{ID: "evt_r_" + status, ShipmentID: "shp_r1", Reference: "ret-1", Status: status, Sequence: seq,
		OccurredAt: time.Date(2026, 2, 1, seq, 0, 0, 0, time.UTC)}
}

// A return gets its label, comes back (repeated callbacks change nothing),
// goes back on hand where each line shipped from, and is refunded its
// lines' share, each once.
func (s *ReturnWorkflowSuite) TestReturnIsReceivedRestockedAndRefunded() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000}
	f.register(s)
	s.trackBack(returnEvent(1, carrier.StatusInTransit), returnEvent(1, carrier.StatusInTransit),
		returnEvent(2, carrier.StatusDelivered), returnEvent(2, carrier.StatusDelivered))
	r := s.runReturn()

	require.Equal(t, orders.ReturnRefunded, r.Status)
	require.Equal(t, "r-9", r.RefundID)
	require.Equal(t, "SPR1GB", r.TrackingNumber)
	require.Equal(t, returnEvent(2, "").OccurredAt, *r.ReceivedAt)
	require.Equal(t, []activities.BookReturnRequest{{IdempotencyKey: "ret-1:label", ReturnID: "ret-1",
		Items: []orders.Line{{SKU: "SKU-1", Quantity: 1}, {SKU: "SKU-2", Quantity: 1}}}}, f.bookings)
	require.Equal(t, []orders.ReturnStatus{orders.ReturnLabelIssued, orders.ReturnInTransit, orders.ReturnReceived, orders.ReturnRefunded},
		f.recorded, "repeated callbacks change nothing")
	require.Equal(t, []activities.RestockRequest{{IdempotencyKey: "ret-1", OrderID: "o-1", Reason: "return ret-1 received",
		Lines: []inventory.Allocation{{SKU: "SKU-1", WarehouseID: "w1", Quantity: 1}, {SKU: "SKU-2", WarehouseID: "w2", Quantity: 1}}}},
		f.restocks)
	require.Equal(t, []orders.RefundClaim{{OrderID: "o-1", IdempotencyKey: "return:ret-1", Amount: 3500, AtMost: true,
		Reason: "return ret-1: too small", RequestedBy: "customer:c-1"}}, f.claims)
	require.Equal(t, "refund-r-9", f.started[0].WorkflowID)
}

// A return of an order an admin refunded in full already is restocked and
// refunds nothing: the refunds never pass the capture.
func (s *ReturnWorkflowSuite) TestReturnAfterAFullRefundRefundsNothing() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 0}
	f.register(s)
	s.trackBack(returnEvent(1, carrier.StatusDelivered))
	r := s.runReturn()
	require.Equal(t, orders.ReturnNotRefunded, r.Status)
	require.Equal(t, orders.ReturnNotRefunded, f.recorded[len(f.recorded)-1])
	require.Len(t, f.restocks, 1)
	require.Empty(t, f.started, "no refund to pay")
}

// A return the carrier loses ends lost: nothing goes back on hand.
func (s *ReturnWorkflowSuite) TestLostReturnIsNotRestocked() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000}
	f.register(s)
	s.trackBack(returnEvent(1, carrier.StatusInTransit), returnEvent(2, carrier.StatusLost))
	r := s.runReturn()
	require.Equal(t, orders.ReturnLost, r.Status)
	require.Empty(t, f.restocks)
	require.Empty(t, f.claims)
}

// A label the carrier refuses cancels the return: nothing was sent back,
// and its lines are free to be asked back again.
func (s *ReturnWorkflowSuite) TestRefusedLabelCancelsTheReturn() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000,
		bookErr: temporal.NewNonRetryableApplicationError("no such address", activities.ErrCarrierRefused, nil)}
	f.register(s)
	r := s.runReturn()
	require.Equal(t, orders.ReturnCancelled, r.Status)
	require.Equal(t, []orders.ReturnStatus{orders.ReturnCancelled}, f.recorded)
	require.Empty(t, f.restocks)
}

// A label not used within its validity is cancelled at the carrier, and
// the return with it.
func (s *ReturnWorkflowSuite) TestUnusedLabelExpires() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000}
	f.register(s)
	r := s.runReturn()
	require.Equal(t, orders.ReturnCancelled, r.Status)
	require.Equal(t, []activities.CancelShipmentRequest{{IdempotencyKey: "ret-1:expire", CarrierShipmentID: "shp_r1"}}, f.cancels)
	require.Equal(t, []orders.ReturnStatus{orders.ReturnLabelIssued, orders.ReturnCancelled}, f.recorded)
	require.Empty(t, f.claims)
}

// A parcel the carrier picked up just as its label expired is followed
// home as any other, and asked to expire no more.
func (s *ReturnWorkflowSuite) TestLabelPickedUpAsItExpiresIsFollowed() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000,
		cancelErr: temporal.NewNonRetryableApplicationError("picked up", activities.ErrPickedUp, nil)}
	f.register(s)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalTracking, returnEvent(1, carrier.StatusInTransit)) }, ReturnLabelValidity+time.Hour)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalTracking, returnEvent(2, carrier.StatusDelivered)) }, ReturnLabelValidity+2*time.Hour)
	r := s.runReturn()
	require.Equal(t, orders.ReturnRefunded, r.Status)
	require.Len(t, f.cancels, 1)
	require.Len(t, f.restocks, 1)
}

// A label the carrier will not cancel when it expires (it has none) can
// bring no parcel back: the return is cancelled all the same.
func (s *ReturnWorkflowSuite) TestExpiredLabelTheCarrierRefusesToCancelEndsTheReturn() {
	t := s.T()
	f := &fakeReturns{ret: testReturn(), remaining: 10000,
		cancelErr: temporal.NewNonRetryableApplicationError("no such shipment", activities.ErrCarrierRefused, nil)}
	f.register(s)
	r := s.runReturn()
	require.Equal(t, orders.ReturnCancelled, r.Status)
	require.Len(t, f.cancels, 1, "asked once, not again every day")
	require.Empty(t, f.restocks)
}
