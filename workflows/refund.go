package workflows

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// RefundInput starts a RefundWorkflow: a refund the API has claimed
// (orders.Store.ClaimRefund keeps the refunds of an order within its
// capture) and that now has to be paid. The workflow reads the rest from
// the refund's row, so every starter (the API, the reconciler restarting a
// refund left pending) starts it the same way.
type RefundInput struct {
	RefundID string `json:"refund_id"`
}

// RefundStartOptions start the workflow of refund id: one per refund, on
// the orders queue. A start finds the running one; a workflow that failed
// (its settlement could not be written) may run again, which pays nothing
// twice: the gateway's key is the refund's, and only a pending refund is
// settled.
func RefundStartOptions(refundID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       "refund-" + refundID,
		TaskQueue:                OrdersTaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// RefundWorkflow pays one refund at the gateway and records its outcome.
// The gateway call is a regular activity with the refund's idempotency key,
// so a retry or a worker killed mid-call pays once. Only the gateway's
// refusal (more than the capture has left, a capture unknown) fails the
// refund, which then no longer counts against the capture; any other
// failure leaves the outcome unknown (the gateway may have paid), so it is
// retried until the gateway answers (refundCtx), the refund pending and its
// amount held meanwhile. A refunded customer is told.
func RefundWorkflow(ctx workflow.Context, in RefundInput) (orders.Refund, error) {
	var p orders.RefundToPay
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), orderActivities.LoadRefund, in.RefundID).Get(ctx, &p); err != nil {
		return orders.Refund{}, err
	}
	r := p.Refund
	if r.Status != orders.RefundPending {
		return r, nil // settled by an earlier run
	}
	var res activities.PaymentResult
	req := activities.RefundPaymentRequest{IdempotencyKey: "refund:" + r.ID, CaptureID: p.CaptureID, Amount: r.Amount}
	err := workflow.ExecuteActivity(refundCtx(ctx), paymentActivities.RefundPayment, req).Get(ctx, &res)
	settle := activities.SettleRefundRequest{RefundID: r.ID, Status: orders.RefundRefunded, GatewayRefundID: res.ID}
	switch {
	case isDecline(err):
		settle = activities.SettleRefundRequest{RefundID: r.ID, Status: orders.RefundFailed, Failure: failureReason(err)}
		workflow.GetLogger(ctx).Error("refund refused by the gateway", "order_id", r.OrderID, "refund_id", r.ID, "error", err)
	case err != nil:
		return r, err // cancelled or terminated: the outcome is unknown, the refund stays pending
	}
	// A refund left pending holds its amount against the capture: the
	// outcome must be written. recordCtx waits a database outage out.
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), orderActivities.SettleRefund, settle).Get(ctx, nil); err != nil {
		return r, err
	}
	countRefund(ctx, settle.Status)
	r.Status, r.GatewayRefundID, r.Failure = settle.Status, settle.GatewayRefundID, settle.Failure
	if r.Status == orders.RefundRefunded && (p.Contact.Email != "" || p.Contact.Phone != "") {
		msg := refundMessage(p)
		// Once per refund, ever.
		if err := startLocally(ctx, notifications.WorkflowID(msg.NotificationID), NotificationsTaskQueue, NotificationWorkflow, msg); err != nil {
			workflow.GetLogger(ctx).Error("refund notification not started", "order_id", r.OrderID, "refund_id", r.ID, "error", err)
		}
	}
	return r, nil
}

// refundCtx pays a refund: retried until the gateway answers, a refusal
// excepted (see RefundWorkflow). A long outage shows as the activity's
// attempts in the Web UI and as the refund pending in the API.
func refundCtx(ctx workflow.Context) workflow.Context {
	ctx = paymentCtx(ctx)
	opts := workflow.GetActivityOptions(ctx)
	policy := *opts.RetryPolicy
	policy.MaximumAttempts = 0
	policy.MaximumInterval = 10 * time.Minute
	opts.RetryPolicy = &policy
	return workflow.WithActivityOptions(ctx, opts)
}
