package workflows

import (
	"github.com/orderflow/orderflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// localPaymentsChange marks orders whose authorization and capture are
// local activities. Orders recorded before it (version 0) keep replaying
// them as regular activities.
const localPaymentsChange = "payments-as-local-activities"

// trackPaymentCalls decides how the saga calls the gateway: from version 1
// on, the orders worker running the saga makes the authorization and the
// capture itself, as local activities. They are short calls the worker
// holding the saga can make, and a regular activity costs the engine about
// four state transitions more (scheduled, started, completed, and the
// workflow task that follows), two activities being a fifth of an order's
// transitions. What a local activity gives up: it is retried by the worker,
// not the server, so a worker that dies mid-call fails its workflow task and
// the next worker replays the task and calls again; the idempotency keys
// make the gateway answer that call from the first. The compensations (void,
// refund) stay regular activities: they are rare, and their hours of
// retries belong on the server, where an operator sees them pending.
func (s *orderSaga) trackPaymentCalls(ctx workflow.Context) {
	s.localPayments = workflow.GetVersion(ctx, localPaymentsChange, workflow.DefaultVersion, 1) >= 1
}

// authorize holds the order total on the customer's card.
func (s *orderSaga) authorize(ctx workflow.Context) (activities.PaymentResult, error) {
	var auth activities.PaymentResult
	req := s.authorizeRequest()
	if !s.localPayments {
		err := workflow.ExecuteActivity(paymentCtx(ctx), paymentActivities.AuthorizePayment, req).Get(ctx, &auth)
		return auth, err
	}
	err := callGateway(ctx, asLocal(paymentCtx(ctx), authorizeBudget), paymentActivities.AuthorizePayment, req, &auth)
	return auth, err
}

// capture takes the authorized amount.
func (s *orderSaga) capture(ctx workflow.Context, authorizationID string) (activities.PaymentResult, error) {
	var capture activities.PaymentResult
	req := activities.CapturePaymentRequest{IdempotencyKey: s.key("capture"), AuthorizationID: authorizationID, Amount: s.in.Total}
	if !s.localPayments {
		err := workflow.ExecuteActivity(captureCtx(ctx), paymentActivities.CapturePayment, req).Get(ctx, &capture)
		return capture, err
	}
	err := callGateway(ctx, asLocal(captureCtx(ctx), 0), paymentActivities.CapturePayment, req, &capture)
	return capture, err
}

// callGateway runs a payment call as a local activity that a cancellation
// does not interrupt once it has begun, as WaitForCancellation does for the
// regular activity: a cancelled local activity's context is cancelled, which
// would drop the call mid-flight and leave the gateway to finish it after
// the saga compensated, so the void could look for an authorization that did
// not exist yet. The saga learns each call's outcome first, and a saga
// already cancelled makes no call. optsCtx carries the local activity
// options.
func callGateway(ctx, optsCtx workflow.Context, activity, req, result any) error {
	if ctx.Err() != nil {
		return temporal.NewCanceledError()
	}
	callCtx, _ := workflow.NewDisconnectedContext(optsCtx)
	return workflow.ExecuteLocalActivity(callCtx, activity, req).Get(callCtx, result)
}
