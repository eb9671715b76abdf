package workflows

import (
	"cmp"
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// UpdateCancelShipment cancels a parcel before the carrier picks it up:
// the API sends it to each shipment of a paid order its customer cancels.
// Its argument is a Decision; its result the shipment, cancelled, or an
// error of type ErrPickedUp once the parcel has left.
const UpdateCancelShipment = "cancel"

// ErrPickedUp is the error type of a cancel that came after the pickup.
const ErrPickedUp = activities.ErrPickedUp

// setUpCancel registers the cancel update. Its validator refuses a parcel
// that has left or been reshipped (a reship is no stock of the order's to
// put back); the handler waits for the booking in flight, cancels it at
// the carrier, puts the lines back on hand where they were picked, refunds
// them, and records the shipment cancelled, which moves the order to
// cancelled once all its parcels are. Each step is keyed by the shipment,
// so a repeat or a retry does each once.
func (s *shipment) setUpCancel(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancelShipment, s.cancel,
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, _ Decision) error { return s.validateCancel() }})
}

func (s *shipment) validateCancel() error {
	switch {
	case s.sh.Status == orders.ShipmentCancelled || s.cancelling:
		return nil // the repeat answers as the first
	case s.sh.Status.Left() || s.sh.Status == orders.ShipmentDelivered:
		return pickedUp(s.sh)
	case s.reships > 0:
		return errors.New("a reshipped parcel cannot be cancelled")
	}
	return nil
}

func pickedUp(sh orders.Shipment) error {
	return temporal.NewApplicationError("parcel "+sh.ID+" has left the warehouse ("+string(sh.Status)+")", ErrPickedUp)
}

func (s *shipment) cancel(ctx workflow.Context, d Decision) (orders.Shipment, error) {
	if s.cancelling || s.sh.Status == orders.ShipmentCancelled {
		err := workflow.Await(ctx, func() bool { return !s.cancelling })
		if err == nil && s.sh.Status != orders.ShipmentCancelled {
			err = pickedUp(s.sh)
		}
		return s.sh, err
	}
	s.cancelling = true
	defer func() { s.cancelling = false }()
	if err := workflow.Await(ctx, func() bool { return s.sh.Status != orders.ShipmentPending }); err != nil {
		return s.sh, err
	}
	if s.sh.Status.Left() {
		return s.sh, pickedUp(s.sh)
	}
	req := activities.CancelShipmentRequest{IdempotencyKey: s.sh.ID + ":cancel", CarrierShipmentID: s.sh.CarrierShipmentID}
	err := workflow.ExecuteLocalActivity(carrierCtx(ctx), fulfilmentActivities.CancelShipment, req).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrPickedUp {
		// The pickup's callback is on its way: tracking goes on.
		return s.sh, temporal.NewApplicationError("parcel "+s.sh.ID+" was picked up by the carrier", ErrPickedUp)
	}
	if err != nil {
		return s.sh, err
	}
	by := cmp.Or(d.By, "customer")
	reason := "order cancelled before its parcel's pickup"
	if d.Reason != "" {
		reason += ": " + d.Reason
	}
	lines := make([]inventory.Allocation, len(s.sh.Items))
	for i, l := range s.sh.Items {
		lines[i] = inventory.Allocation{SKU: l.SKU, WarehouseID: s.sh.WarehouseID, Quantity: l.Quantity}
	}
	restock := activities.RestockRequest{IdempotencyKey: s.sh.ID + ":cancel", OrderID: s.sh.OrderID, Lines: lines, Reason: reason}
	if err := workflow.ExecuteActivity(restockCtx(ctx), inventoryActivities.Restock, restock).Get(ctx, nil); err != nil {
		return s.sh, err
	}
	// The refund is claimed before the shipment is recorded: the last
	// parcel's record moves the order to cancelled, which takes no claim.
	err = s.refund(ctx, "cancel:"+s.sh.ID, reason, by)
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrRefundRefused {
		// Refunded already, by an admin: the parcel is cancelled all the same.
		workflow.GetLogger(ctx).Warn("cancelled parcel not refunded", "shipment_id", s.sh.ID, "error", err)
	} else if err != nil {
		return s.sh, err
	}
	s.sh.Status = orders.ShipmentCancelled
	s.record(ctx)
	return s.sh, nil
}
