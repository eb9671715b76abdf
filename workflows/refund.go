package workflows

import (
	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/workflow"
)

// RefundInput starts a RefundWorkflow: a refund the API has claimed
// (orders.Store.ClaimRefund keeps the refunds of an order within its
// capture) and now has to pay.
type RefundInput struct {
	RefundID   string                `json:"refund_id"`
	OrderID    string                `json:"order_id"`
	CustomerID string                `json:"customer_id"`
	CaptureID  string                `json:"capture_id"`
	Amount     int64                 `json:"amount"` // minor units
	Currency   string                `json:"currency"`
	Contact    notifications.Contact `json:"contact"`
}

// RefundWorkflowID is the workflow of one refund: one execution per refund.
func RefundWorkflowID(refundID string) string { return "refund-" + refundID }

// RefundWorkflow pays one refund at the gateway and records its outcome. The
// gateway call is a regular activity, retried through outages for
// CompensationBudget like the saga's own refund, with an idempotency key of
// the refund's, so a retry or a worker killed mid-call pays once; a refusal
// (more than the capture has left, a capture unknown) fails the refund,
// which then no longer counts against the capture. A refunded customer is
// told.
func RefundWorkflow(ctx workflow.Context, in RefundInput) (orders.Refund, error) {
	var res activities.PaymentResult
	req := activities.RefundPaymentRequest{IdempotencyKey: "refund:" + in.RefundID, CaptureID: in.CaptureID, Amount: in.Amount}
	err := workflow.ExecuteActivity(compensationCtx(ctx), paymentActivities.RefundPayment, req).Get(ctx, &res)
	settle := activities.SettleRefundRequest{RefundID: in.RefundID, Status: orders.RefundRefunded, GatewayRefundID: res.ID}
	if err != nil {
		settle = activities.SettleRefundRequest{RefundID: in.RefundID, Status: orders.RefundFailed, Failure: failureReason(err)}
		workflow.GetLogger(ctx).Error("refund failed", "order_id", in.OrderID, "refund_id", in.RefundID, "error", err)
	}
	// The outcome must be recorded: a refund left pending holds its amount
	// against the capture. recordCtx waits a database outage out.
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), orderActivities.SettleRefund, settle).Get(ctx, nil); err != nil {
		return orders.Refund{}, err
	}
	countRefund(ctx, settle.Status)
	out := orders.Refund{ID: in.RefundID, OrderID: in.OrderID, Amount: in.Amount, Currency: in.Currency,
		Status: settle.Status, GatewayRefundID: settle.GatewayRefundID, Failure: settle.Failure}
	if settle.Status == orders.RefundRefunded && (in.Contact.Email != "" || in.Contact.Phone != "") {
		msg := refundMessage(in)
		// Once per refund, ever.
		if err := startLocally(ctx, notifications.WorkflowID(msg.NotificationID), NotificationsTaskQueue, NotificationWorkflow, msg); err != nil {
			workflow.GetLogger(ctx).Error("refund notification not started", "order_id", in.OrderID, "refund_id", in.RefundID, "error", err)
		}
	}
	return out, nil
}
