package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// LoadRefund reads a refund with its order's capture and contact.
func (a *OrderActivities) LoadRefund(ctx context.Context, id string) (orders.RefundToPay, error) {
	p, err := a.Store.RefundToPay(ctx, id)
	if errors.Is(err, orders.ErrNotFound) {
		return p, temporal.NewNonRetryableApplicationError("no refund "+id, ErrNotFound, err)
	}
	return p, err
}

// SettleRefund records a refund's outcome and its event (the outbox),
// once: a retry, or a second settlement, changes nothing.
func (a *OrderActivities) SettleRefund(ctx context.Context, req SettleRefundRequest) error {
	if err := a.Store.SettleRefund(ctx, req.RefundID, req.Status, req.GatewayRefundID, req.Failure, events.OriginOf(ctx)); err != nil {
		return writeError(fmt.Errorf("settle refund %s: %w", req.RefundID, err))
	}
	return nil
}
