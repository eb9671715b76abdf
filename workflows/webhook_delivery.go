package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// WebhookDeliveryInput is one delivery of an event to an integrator's
// endpoint (internal/domain/webhooks). The event and the endpoint's secrets
// stay in the database: the history holds IDs only.
type WebhookDeliveryInput struct {
	DeliveryID string `json:"delivery_id"`
	// FirstRetry is the wait before the second attempt; each next wait
	// doubles, up to an hour. 0 means 10 s.
	FirstRetry time.Duration `json:"first_retry,omitempty"`
}

// WebhookDeliveryBudget is how long a delivery keeps trying: an endpoint
// down over a long weekend still gets its events.
const WebhookDeliveryBudget = 72 * time.Hour

// WebhookDeliveryID is the workflow ID of a delivery, and of its nth
// redelivery (n > 0).
func WebhookDeliveryID(deliveryID string, n int) string {
	if n == 0 {
		return "webhook-delivery-" + deliveryID
	}
	return "webhook-delivery-" + deliveryID + "-redelivery-" + strconv.Itoa(n)
}

// WebhookDeliveryWorkflow delivers one event to one endpoint: an attempt
// per activity attempt, retried with exponential backoff for
// WebhookDeliveryBudget. Each attempt is in the endpoint's delivery log. An
// endpoint that fails for too long is disabled by the attempt that finds
// it so, and every admin is told.
func WebhookDeliveryWorkflow(ctx workflow.Context, in WebhookDeliveryInput) (activities.DeliverEventResult, error) {
	attemptCtx := workflow.WithActivityOptions(ctx, webhookAttempts(in.FirstRetry))
	req := activities.DeliverEventRequest{DeliveryID: in.DeliveryID}
	var res activities.DeliverEventResult
	err := workflow.ExecuteActivity(attemptCtx, webhookActivities.DeliverEvent, req).Get(ctx, &res)
	if err != nil {
		workflow.GetLogger(ctx).Warn("webhook delivery gave up", "delivery_id", in.DeliveryID, "error", err)
		if ferr := workflow.ExecuteLocalActivity(recordCtx(ctx), webhookActivities.FailDelivery, req).Get(ctx, nil); ferr != nil {
			return res, ferr
		}
		return res, err
	}
	if res.Disabled {
		tellAdmins(ctx, res.EndpointID)
	}
	return res, nil
}

// webhookAttempts are a delivery's attempts: as many as fit in
// WebhookDeliveryBudget (no count), each wait twice the one before up to an
// hour, so an endpoint down for two days still gets about fifty tries.
func webhookAttempts(firstRetry time.Duration) workflow.ActivityOptions {
	if firstRetry <= 0 {
		firstRetry = 10 * time.Second
	}
	return workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: WebhookDeliveryBudget,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        firstRetry,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Hour,
			NonRetryableErrorTypes: []string{activities.ErrWebhookRefused},
		},
	}
}

// tellAdmins starts a notification to every admin that the endpoint was
// disabled; each outlives this workflow.
func tellAdmins(ctx workflow.Context, endpointID string) {
	var notices []notifications.Input
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), webhookActivities.EndpointDisabledNotices, endpointID).Get(ctx, &notices); err != nil {
		workflow.GetLogger(ctx).Error("admins not told of a disabled endpoint", "endpoint_id", endpointID, "error", err)
		return
	}
	for _, msg := range notices {
		if err := startLocally(ctx, notifications.WorkflowID(msg.NotificationID), NotificationsTaskQueue, NotificationWorkflow, msg); err != nil {
			workflow.GetLogger(ctx).Error("admin not told of a disabled endpoint", "endpoint_id", endpointID, "error", err)
		}
	}
}
