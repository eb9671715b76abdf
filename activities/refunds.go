package activities

import (
	"context"
	"fmt"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// SettleRefund records a refund's outcome and its event (the outbox),
// once: a retry, or a second settlement, changes nothing.
func (a *OrderActivities) SettleRefund(ctx context.Context, req SettleRefundRequest) error {
	if err := a.Store.SettleRefund(ctx, req.RefundID, req.Status, req.GatewayRefundID, req.Failure, events.OriginOf(ctx)); err != nil {
		return writeError(fmt.Errorf("settle refund %s: %w", req.RefundID, err))
	}
	return nil
}
