package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// ErrPickedUp is a cancel that came after the carrier picked the parcel up.
const ErrPickedUp = "PickedUp"

// ErrCarrierRefused is the carrier refusing a request for good.
const ErrCarrierRefused = "CarrierRefused"

// FulfilmentActivities book parcels with the carrier and keep the
// shipments' read model.
type FulfilmentActivities struct {
	Store   *orders.Store
	Carrier *carrier.Client
}

// BookShipment books a parcel; the carrier returns the booking it made for
// the same key, so a retry after a lost answer books once.
func (a *FulfilmentActivities) BookShipment(ctx context.Context, req BookShipmentRequest) (carrier.Shipment, error) {
	items := make([]carrier.Line, len(req.Items))
	for i, l := range req.Items {
		items[i] = carrier.Line(l)
	}
	sh, err := a.Carrier.Book(ctx, carrier.BookRequest{IdempotencyKey: req.IdempotencyKey, Reference: req.ShipmentID,
		From: req.WarehouseID, Items: items})
	return sh, carrierError(err)
}

// CancelShipment cancels a parcel before its pickup; after it, the error
// is ErrPickedUp, which no retry changes.
func (a *FulfilmentActivities) CancelShipment(ctx context.Context, req CancelShipmentRequest) error {
	_, err := a.Carrier.Cancel(ctx, req.CarrierShipmentID, req.IdempotencyKey)
	return carrierError(err)
}

// RecordShipment stores the shipment (a late write of an older revision
// changes nothing) and returns the order's status if the shipment moved
// it on (shipped, delivered), "" otherwise.
func (a *FulfilmentActivities) RecordShipment(ctx context.Context, sh orders.Shipment) (orders.Status, error) {
	moved, err := a.Store.RecordShipment(ctx, sh, events.OriginOf(ctx))
	if err != nil {
		return "", writeError(fmt.Errorf("record shipment %s: %w", sh.ID, err))
	}
	if moved != "" {
		orderEvents.WithLabelValues(moved.Event()).Inc()
	}
	return moved, nil
}

// ClaimRefund claims the refund of a lost parcel's lines (see
// orders.Store.ClaimRefund): a repeat finds the refund its key made. A
// claim the order cannot take (more than the capture has left) is final.
func (a *FulfilmentActivities) ClaimRefund(ctx context.Context, c orders.RefundClaim) (orders.Refund, error) {
	r, _, err := a.Store.ClaimRefund(ctx, c)
	var tooLarge *orders.RefundTooLargeError
	if errors.As(err, &tooLarge) || errors.Is(err, orders.ErrNotRefundable) || errors.Is(err, orders.ErrIdempotencyKeyReused) {
		return r, temporal.NewNonRetryableApplicationError(err.Error(), ErrRefundRefused, err)
	}
	return r, err
}

// ErrRefundRefused is a refund claim the order cannot take.
const ErrRefundRefused = "RefundRefused"

// carrierError makes the carrier's refusals non-retryable.
func carrierError(err error) error {
	var refused *carrier.RefusedError
	switch {
	case carrier.IsPickedUp(err):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrPickedUp, err)
	case errors.As(err, &refused):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrCarrierRefused, err)
	}
	return err
}
