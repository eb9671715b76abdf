package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/risk"
)

// The business metrics the workflows record. They go through the
// workflow's metrics handler, which drops what a replay records again, so
// each is counted once per execution however often its history replays;
// the worker's handler adds the namespace, task queue and workflow type.
// Counters are exported with _total, timers in _seconds. No label holds an
// order, customer or message ID.
const (
	ordersMetric        = "orderflow_orders"             // {outcome, failure_class}
	orderDurationMetric = "orderflow_order_duration"     // {outcome}
	stepDurationMetric  = "orderflow_saga_step_duration" // {step, outcome}
	stepFailuresMetric  = "orderflow_saga_step_failures" // {step}
	compensationsMetric = "orderflow_compensations"      // {kind, outcome}
	reservationsMetric  = "orderflow_reservations"       // {outcome}
	notificationsMetric = "orderflow_notifications"      // {outcome, channel}
	riskMetric          = "orderflow_risk_assessments"   // {level}
	refundsMetric       = "orderflow_refunds"            // {outcome}
)

// countRefund records how a refund ended: refunded or failed.
func countRefund(ctx workflow.Context, outcome orders.RefundStatus) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": string(outcome)}).Counter(refundsMetric).Inc(1)
}

// countAssessment records an order's risk level.
func countAssessment(ctx workflow.Context, level risk.Level) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"level": string(level)}).Counter(riskMetric).Inc(1)
}

// countOrder records an order's outcome and how long it took, from the
// workflow's start (workflow time, so a reset order counts its new run).
func countOrder(ctx workflow.Context, outcome orders.Status, class string) {
	m := workflow.GetMetricsHandler(ctx)
	m.WithTags(map[string]string{"outcome": string(outcome), "failure_class": class}).Counter(ordersMetric).Inc(1)
	took := workflow.Now(ctx).Sub(workflow.GetInfo(ctx).WorkflowStartTime)
	m.WithTags(map[string]string{"outcome": string(outcome)}).Timer(orderDurationMetric).Record(took)
}

// recordStep records one saga step's duration and outcome; a compensation
// (release, void, refund) that failed has spent its retries: failed for
// good.
func recordStep(ctx workflow.Context, step string, took time.Duration, err error) {
	m := workflow.GetMetricsHandler(ctx)
	outcome := StepCompleted
	if err != nil {
		outcome = StepFailed
		m.WithTags(map[string]string{"step": step}).Counter(stepFailuresMetric).Inc(1)
	}
	m.WithTags(map[string]string{"step": step, "outcome": outcome}).Timer(stepDurationMetric).Record(took)
	if isCompensation(step) {
		compensation := "succeeded"
		if err != nil {
			compensation = "failed"
		}
		m.WithTags(map[string]string{"kind": step, "outcome": compensation}).Counter(compensationsMetric).Inc(1)
	}
}

// countReservation records how a reservation that held stock ended:
// committed, released or expired (or rejected, when nothing was held).
func countReservation(ctx workflow.Context, outcome string) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": outcome}).Counter(reservationsMetric).Inc(1)
}

// countNotification records a notification's round: sent on a channel, or
// failed on every one (channel "none").
func countNotification(ctx workflow.Context, st notifications.State) {
	channel := st.Channel
	if st.Status != notifications.StatusSent {
		channel = "none"
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": string(st.Status), "channel": channel}).
		Counter(notificationsMetric).Inc(1)
}

// failureClasses are the error types that end an order, as the
// failure_class label names them; anything else is "other".
var failureClasses = map[string]string{
	activities.ErrOutOfStock:           "out_of_stock",
	activities.ErrUnknownSKU:           "unknown_sku",
	activities.ErrPaymentDeclined:      "payment_declined",
	activities.ErrPaymentGatewayFailed: "payment_failed",
	activities.ErrReservationReleased:  "reservation_expired",
	ErrNotApproved:                     "not_approved",
	ErrHighRisk:                        "high_risk",
}

// failureClass is the bounded kind of an order's failure: "none" when it
// completed, "cancelled", "timeout", an error type of failureClasses, or
// "other".
func failureClass(status orders.Status, err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case err == nil:
		return "none"
	case errors.As(err, &appErr) && failureClasses[appErr.Type()] != "":
		return failureClasses[appErr.Type()]
	case status == orders.StatusCancelled:
		return "cancelled"
	case errors.As(err, &timeoutErr):
		return "timeout"
	}
	return "other"
}
