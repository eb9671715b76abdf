package workflows

import (
	"errors"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// ReturnInput starts a ReturnWorkflow: a return the API has claimed
// (orders.Store.ClaimReturn takes each unit once, from a parcel delivered
// within the return window). The workflow reads the rest from the return's
// row.
type ReturnInput struct {
	ReturnID string `json:"return_id"`
}

// ReturnStartOptions start the workflow of a return: its ID is the
// return's, on the fulfilment queue, whose worker holds the carrier's
// credentials. A repeated start finds the running one.
func ReturnStartOptions(returnID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       returnID,
		TaskQueue:                FulfilmentTaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// ReturnWorkflow carries out one return: it issues the return label at the
// carrier, follows the parcel back by its tracking callbacks
// (SignalTracking, each applied once and in order), puts its lines back on
// hand in the warehouses they shipped from, and refunds them at the order's
// prices (never more than the capture has left) by a RefundWorkflow, which
// tells the customer. Each step is keyed by the return, so a retry or a
// killed worker does each once. A parcel lost on its way back ends the
// return lost, for an admin to refund by hand. A label the carrier refuses,
// or one not used within ReturnLabelValidity, ends the return cancelled,
// which frees its lines for another return.
func ReturnWorkflow(ctx workflow.Context, in ReturnInput) (orders.Return, error) {
	var r orders.Return
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), fulfilmentActivities.LoadReturn, in.ReturnID).Get(ctx, &r); err != nil {
		return r, err
	}
	rt := &returnFlow{r: r}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (orders.Return, error) { return rt.r, nil }); err != nil {
		return r, err
	}
	expiring := workflow.GetVersion(ctx, returnExpiryChange, workflow.DefaultVersion, 1) == 1
	if r.Status == orders.ReturnRequested {
		err := rt.issueLabel(ctx)
		if err != nil && (!expiring || temporal.IsCanceledError(err)) {
			return rt.r, err
		}
		if err != nil {
			workflow.GetLogger(ctx).Error("return label not issued: the return is cancelled", "return_id", rt.r.ID, "order_id", rt.r.OrderID, "error", err)
			rt.r.Status = orders.ReturnCancelled
			rt.record(ctx)
			return rt.r, nil
		}
	}
	if expiring && rt.r.Status == orders.ReturnLabelIssued {
		rt.expires = workflow.Now(ctx).Add(ReturnLabelValidity)
	}
	tracking := workflow.GetSignalChannel(ctx, SignalTracking)
	for rt.r.Status == orders.ReturnLabelIssued || rt.r.Status == orders.ReturnInTransit {
		if rt.r.Status == orders.ReturnLabelIssued && !rt.expires.IsZero() {
			left := rt.expires.Sub(workflow.Now(ctx))
			arrived := false
			if left > 0 {
				var err error
				if arrived, err = workflow.AwaitWithTimeout(ctx, left, func() bool { return tracking.Len() > 0 }); err != nil {
					return rt.r, err
				}
			}
			if !arrived {
				rt.expire(ctx)
				continue
			}
		}
		var ev carrier.TrackingEvent
		tracking.Receive(ctx, &ev)
		rt.apply(ctx, ev)
	}
	if rt.r.Status != orders.ReturnReceived {
		return rt.r, nil // lost, or refunded by an earlier run
	}
	return rt.r, rt.restockAndRefund(ctx)
}

// ReturnLabelValidity is how long a return label waits for the customer
// to drop the parcel off. After it, the label is cancelled at the carrier
// and the return with it: its lines can be asked back again.
const ReturnLabelValidity = 14 * 24 * time.Hour

// returnExpiryChange marks returns whose label expires, and whose label
// the carrier refuses end cancelled. Returns started before it wait for
// their parcel for as long as it takes.
const returnExpiryChange = "return-expiry"

type returnFlow struct {
	r orders.Return
	// sequence is the number of the carrier's last event applied.
	sequence int
	// expires is when an unused label is cancelled; zero for never.
	expires time.Time
}

// issueLabel books the parcel back from the customer: the label they
// print.
func (rt *returnFlow) issueLabel(ctx workflow.Context) error {
	req := activities.BookReturnRequest{IdempotencyKey: rt.r.ID + ":label", ReturnID: rt.r.ID, Items: rt.r.Lines()}
	var booked carrier.Shipment
	if err := workflow.ExecuteLocalActivity(carrierCtx(ctx), fulfilmentActivities.BookReturn, req).Get(ctx, &booked); err != nil {
		return err
	}
	rt.r.Status, rt.r.CarrierShipmentID, rt.r.TrackingNumber, rt.r.LabelURL = orders.ReturnLabelIssued, booked.ID, booked.TrackingNumber, booked.LabelURL
	rt.record(ctx)
	return nil
}

// expire cancels an unused label at the carrier, and the return with it.
// A parcel the carrier has just picked up is followed on (its callback is
// on its way) and no longer expires; a label the carrier refuses to cancel
// (it has none) ends the return too; a carrier that cannot be reached is
// asked again a day later.
func (rt *returnFlow) expire(ctx workflow.Context) {
	req := activities.CancelShipmentRequest{IdempotencyKey: rt.r.ID + ":expire", CarrierShipmentID: rt.r.CarrierShipmentID}
	err := workflow.ExecuteLocalActivity(carrierCtx(ctx), fulfilmentActivities.CancelShipment, req).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrPickedUp:
		rt.expires = time.Time{}
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrCarrierRefused:
		// The carrier has no label to cancel (gone, or never made): no
		// parcel can come back with it.
		workflow.GetLogger(ctx).Warn("expired return label refused by the carrier; the return is cancelled", "return_id", rt.r.ID, "error", err)
		rt.r.Status = orders.ReturnCancelled
		rt.record(ctx)
	case err != nil:
		workflow.GetLogger(ctx).Error("expired return label not cancelled at the carrier", "return_id", rt.r.ID, "error", err)
		rt.expires = workflow.Now(ctx).Add(24 * time.Hour)
	default:
		workflow.GetLogger(ctx).Info("return label expired unused: the return is cancelled", "return_id", rt.r.ID, "order_id", rt.r.OrderID)
		rt.r.Status = orders.ReturnCancelled
		rt.record(ctx)
	}
}

// apply applies one tracking event of the parcel on its way back.
func (rt *returnFlow) apply(ctx workflow.Context, ev carrier.TrackingEvent) {
	if !fresh(ctx, ev, rt.r.CarrierShipmentID, &rt.sequence) {
		return
	}
	switch orders.ShipmentStatus(ev.Status) {
	case orders.ShipmentDelivered:
		at := ev.OccurredAt
		rt.r.Status, rt.r.ReceivedAt = orders.ReturnReceived, &at
	case orders.ShipmentLost:
		rt.r.Status = orders.ReturnLost
		workflow.GetLogger(ctx).Warn("return lost by the carrier", "return_id", rt.r.ID, "order_id", rt.r.OrderID)
	default:
		rt.r.Status = orders.ReturnInTransit
	}
	rt.record(ctx)
}

// restockAndRefund puts the lines back where they shipped from, then
// refunds them.
func (rt *returnFlow) restockAndRefund(ctx workflow.Context) error {
	lines := make([]inventory.Allocation, len(rt.r.Items))
	for i, l := range rt.r.Items {
		lines[i] = inventory.Allocation{SKU: l.SKU, WarehouseID: l.WarehouseID, Quantity: l.Quantity}
	}
	restock := activities.RestockRequest{IdempotencyKey: rt.r.ID, OrderID: rt.r.OrderID, Lines: lines, Reason: "return " + rt.r.ID + " received"}
	if err := workflow.ExecuteActivity(restockCtx(ctx), inventoryActivities.Restock, restock).Get(ctx, nil); err != nil {
		return err
	}
	claim := orders.RefundClaim{OrderID: rt.r.OrderID, IdempotencyKey: "return:" + rt.r.ID, Amount: rt.r.Amount, AtMost: true,
		Reason: "return " + rt.r.ID + ": " + rt.r.Reason, RequestedBy: rt.r.RequestedBy}
	var refund orders.Refund
	err := workflow.ExecuteLocalActivity(recordCtx(ctx), fulfilmentActivities.ClaimRefund, claim).Get(ctx, &refund)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrRefundRefused {
		// The capture was refunded in full already (by an admin): the
		// goods are back, there is nothing left to give.
		workflow.GetLogger(ctx).Warn("returned lines not refunded", "return_id", rt.r.ID, "order_id", rt.r.OrderID, "error", err)
		rt.r.Status = orders.ReturnNotRefunded
		rt.record(ctx)
		return nil
	}
	if err != nil {
		return err
	}
	if err := startLocally(ctx, RefundStartOptions(refund.ID).ID, OrdersTaskQueue, RefundWorkflow, RefundInput{RefundID: refund.ID}); err != nil {
		return err
	}
	rt.r.Status, rt.r.RefundID = orders.ReturnRefunded, refund.ID
	rt.record(ctx)
	return nil
}

// record writes the return to the read model.
func (rt *returnFlow) record(ctx workflow.Context) {
	rt.r.Revision++
	rt.r.UpdatedAt = workflow.Now(ctx)
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), fulfilmentActivities.RecordReturn, rt.r).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("recording return failed", "return_id", rt.r.ID, "order_id", rt.r.OrderID, "error", err)
	}
}
