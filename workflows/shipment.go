package workflows

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// ShipmentInput starts a ShipmentWorkflow: one parcel of a completed
// order, from one warehouse. Order is the order as placed, without its
// payment token, for the messages to its customer.
type ShipmentInput struct {
	Shipment orders.Shipment `json:"shipment"`
	Order    orders.Input    `json:"order"`
}

// SignalTracking passes a carrier's tracking callback (carrier.TrackingEvent)
// to the shipment it names; the API sends it once it has checked the
// callback's signature.
const SignalTracking = "tracking"

// ShipmentWorkflow books one parcel with the carrier and follows it to its
// door: booked, in_transit, out_for_delivery, delivered, or exception on the
// way, or lost, when an admin decides (SignalLostParcel) to reship it or
// refund it (refunded); before its pickup it can be cancelled
// (UpdateCancelShipment). Its workflow ID is the shipment's ID, which the
// carrier's callbacks name. Each tracking event is applied once and in order: one with a
// sequence number at or below the last applied (a repeat, or one overtaken
// by a later one) changes nothing. Every change is recorded in the read
// model, which moves the order to shipped and delivered; the shipment whose
// change moved it tells the customer.
func ShipmentWorkflow(ctx workflow.Context, in ShipmentInput) (orders.Shipment, error) {
	s := &shipment{in: in, sh: in.Shipment}
	s.sh.Carrier = carrier.Name
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (orders.Shipment, error) { return s.sh, nil }); err != nil {
		return s.sh, err
	}
	if err := s.setUpCancel(ctx); err != nil {
		return s.sh, err
	}
	if err := s.book(ctx); err != nil {
		return s.sh, err
	}
	tracking := workflow.GetSignalChannel(ctx, SignalTracking)
	decisions := workflow.GetSignalChannel(ctx, SignalLostParcel)
	for !slices.Contains([]orders.ShipmentStatus{orders.ShipmentDelivered, orders.ShipmentCancelled, orders.ShipmentRefunded}, s.sh.Status) {
		if s.sh.Status != orders.ShipmentLost {
			var ev carrier.TrackingEvent
			// A cancel (UpdateCancelShipment) ends the wait too.
			if err := workflow.Await(ctx, func() bool { return tracking.Len() > 0 || s.sh.Status == orders.ShipmentCancelled }); err != nil {
				return s.sh, err
			}
			if tracking.ReceiveAsync(&ev) {
				s.apply(ctx, ev)
			}
			// A decision is for a parcel lost when it was made: one that
			// came while it was not must not act on a later loss.
			for s.sh.Status != orders.ShipmentLost && decisions.ReceiveAsync(&LostParcelDecision{}) {
				workflow.GetLogger(ctx).Warn("lost-parcel decision for a parcel not lost ignored", "shipment_id", s.sh.ID)
			}
			continue
		}
		// A lost parcel waits for an admin: reship it from stock, or
		// refund its lines.
		var d LostParcelDecision
		decisions.Receive(ctx, &d)
		switch d.Action {
		case LostParcelReship:
			s.reships++
			if err := s.book(ctx); err != nil {
				return s.sh, err
			}
		case LostParcelRefund:
			reason := "parcel lost by the carrier"
			if d.Reason != "" {
				reason += ": " + d.Reason
			}
			if err := s.refund(ctx, "lost:"+s.sh.ID, reason, cmp.Or(d.By, "lost-parcel decision")); err != nil {
				return s.sh, err
			}
			// Refunded, the parcel no longer holds the order back.
			// Shipments refunded before this change ended at lost.
			if workflow.GetVersion(ctx, refundedParcelsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return s.sh, nil
			}
			s.sh.Status = orders.ShipmentRefunded
			s.record(ctx)
		default:
			workflow.GetLogger(ctx).Warn("lost-parcel decision ignored", "shipment_id", s.sh.ID, "action", d.Action)
		}
	}
	// A cancel's restock and refund finish before the workflow does.
	return s.sh, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// refundedParcelsChange marks shipments that record a lost parcel they
// refunded as refunded.
const refundedParcelsChange = "refunded-parcels"

// SignalLostParcel decides what becomes of a lost parcel
// (LostParcelDecision): the admin's call, from the temporal CLI or tctl.
const SignalLostParcel = "lost-parcel"

// What an admin can decide for a lost parcel.
const (
	LostParcelReship = "reship"
	LostParcelRefund = "refund"
)

// LostParcelDecision is the argument of SignalLostParcel.
type LostParcelDecision struct {
	Action string `json:"action"` // reship or refund
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}

type shipment struct {
	in ShipmentInput
	sh orders.Shipment
	// sequence is the number of the carrier's last event applied, of the
	// current booking; reships counts the bookings after the first.
	sequence, reships int
	// cancelling is set while a cancel runs (shipment_cancel.go).
	cancelling bool
}

// book books the parcel (once per booking, by the shipment's key and the
// booking's number) and records it.
func (s *shipment) book(ctx workflow.Context) error {
	key := s.sh.ID + ":book"
	if s.reships > 0 {
		key += fmt.Sprintf(":%d", s.reships)
	}
	s.sequence, s.sh.ShippedAt, s.sh.DeliveredAt = 0, nil, nil
	req := activities.BookShipmentRequest{IdempotencyKey: key, ShipmentID: s.sh.ID,
		WarehouseID: s.sh.WarehouseID, Items: s.sh.Items}
	var booked carrier.Shipment
	if err := workflow.ExecuteLocalActivity(carrierCtx(ctx), fulfilmentActivities.BookShipment, req).Get(ctx, &booked); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	s.sh.Status, s.sh.CarrierShipmentID, s.sh.TrackingNumber, s.sh.LabelURL = orders.ShipmentBooked, booked.ID, booked.TrackingNumber, booked.LabelURL
	s.sh.BookedAt = &now
	s.record(ctx)
	return nil
}

// apply applies one tracking event of the booked parcel, unless it is late
// or repeated, or of another parcel.
func (s *shipment) apply(ctx workflow.Context, ev carrier.TrackingEvent) {
	if !fresh(ctx, ev, s.sh.CarrierShipmentID, &s.sequence) {
		return
	}
	status := orders.ShipmentStatus(ev.Status)
	s.sh.Status = status
	at := ev.OccurredAt
	if s.sh.ShippedAt == nil {
		s.sh.ShippedAt = &at
	}
	if status == orders.ShipmentDelivered {
		s.sh.DeliveredAt = &at
	}
	if moved := s.record(ctx); moved == orders.StatusShipped || moved == orders.StatusDelivered {
		s.notify(ctx, moved)
	}
}

// record writes the shipment to the read model and returns the order's
// status if the write moved it on.
func (s *shipment) record(ctx workflow.Context) orders.Status {
	s.sh.Revision++
	s.sh.UpdatedAt = workflow.Now(ctx)
	var moved orders.Status
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), fulfilmentActivities.RecordShipment, s.sh).Get(ctx, &moved); err != nil {
		workflow.GetLogger(ctx).Error("recording shipment failed", "shipment_id", s.sh.ID, "order_id", s.sh.OrderID, "error", err)
	}
	return moved
}

// refund gives back the parcel's lines, priced as the order was: a refund
// claimed once per key, of at most what the capture has left (less when an
// admin refunded part already), paid by a RefundWorkflow like an admin's.
func (s *shipment) refund(ctx workflow.Context, key, reason, by string) error {
	prices := map[string]int64{}
	for _, it := range s.in.Order.Items {
		prices[it.SKU] = it.UnitPrice
	}
	var amount int64
	for _, l := range s.sh.Items {
		amount += prices[l.SKU] * int64(l.Quantity)
	}
	claim := orders.RefundClaim{OrderID: s.sh.OrderID, IdempotencyKey: key, Amount: amount, AtMost: true, Reason: reason, RequestedBy: by}
	var r orders.Refund
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), fulfilmentActivities.ClaimRefund, claim).Get(ctx, &r); err != nil {
		return err
	}
	return startLocally(ctx, RefundStartOptions(r.ID).ID, OrdersTaskQueue, RefundWorkflow, RefundInput{RefundID: r.ID})
}

// notify tells the customer their order shipped or arrived, once per order
// and status.
func (s *shipment) notify(ctx workflow.Context, status orders.Status) {
	o := s.in.Order
	if o.Contact.Email == "" && o.Contact.Phone == "" {
		return
	}
	msg := orderMessage(o, orders.State{OrderID: o.OrderID, Status: status})
	if err := startLocally(ctx, notifications.WorkflowID(msg.NotificationID), NotificationsTaskQueue, NotificationWorkflow, msg); err != nil {
		workflow.GetLogger(ctx).Error("shipment notification not started", "order_id", o.OrderID, "status", status, "error", err)
	}
}

// carrierCtx books and cancels parcels with the carrier: local activities
// of the fulfilment worker, which holds the carrier's credentials. A
// carrier outage is waited out for a day; a refusal is final.
func carrierCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrCarrierRefused, activities.ErrPickedUp},
		},
	})
}
