package workflows

import (
	"github.com/orderflow/orderflow/activities"
	"go.temporal.io/sdk/workflow"
)

// authorize holds the order total on the customer's card.
func (s *orderSaga) authorize(ctx workflow.Context) (activities.PaymentResult, error) {
	var auth activities.PaymentResult
	req := s.authorizeRequest()
	if !s.localCalls {
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
	if !s.localCalls {
		err := workflow.ExecuteActivity(captureCtx(ctx), paymentActivities.CapturePayment, req).Get(ctx, &capture)
		return capture, err
	}
	err := callGateway(ctx, asLocal(captureCtx(ctx), 0), paymentActivities.CapturePayment, req, &capture)
	return capture, err
}
