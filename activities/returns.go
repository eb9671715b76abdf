package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// ReturnSender is where a return label's parcel comes from, for the carrier.
const ReturnSender = "customer"

// LoadReturn reads a return its workflow is to carry out; one that does not
// exist is a bug of its starter, not worth retrying.
func (a *FulfilmentActivities) LoadReturn(ctx context.Context, id string) (orders.Return, error) {
	r, err := a.Store.GetReturn(ctx, id)
	if errors.Is(err, orders.ErrReturnNotFound) {
		return r, temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, err)
	}
	return r, err
}

// BookReturn issues a return's label: a booking from the customer, which
// the carrier makes once per key.
func (a *FulfilmentActivities) BookReturn(ctx context.Context, req BookReturnRequest) (carrier.Shipment, error) {
	items := make([]carrier.Line, len(req.Items))
	for i, l := range req.Items {
		items[i] = carrier.Line(l)
	}
	sh, err := a.Carrier.Book(ctx, carrier.BookRequest{IdempotencyKey: req.IdempotencyKey, Reference: req.ReturnID,
		From: ReturnSender, Items: items})
	return sh, carrierError(err)
}

// RecordReturn stores the return; a late write of an older revision
// changes nothing.
func (a *FulfilmentActivities) RecordReturn(ctx context.Context, r orders.Return) error {
	if err := a.Store.RecordReturn(ctx, r); err != nil {
		return writeError(fmt.Errorf("record return %s: %w", r.ID, err))
	}
	return nil
}
