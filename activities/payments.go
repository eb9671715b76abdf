package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/workflows"
)

// PaymentActivities call the payment gateway. Every call carries the
// workflow's idempotency key for that operation, so the gateway performs it
// once however often the activity is retried.
type PaymentActivities struct {
	Gateway payments.Gateway
}

// AuthorizePayment holds the order total on the customer's card.
func (a *PaymentActivities) AuthorizePayment(ctx context.Context, req workflows.AuthorizePaymentRequest) (workflows.PaymentResult, error) {
	auth, err := a.Gateway.Authorize(ctx, authorizeRequest(req))
	if err != nil {
		return workflows.PaymentResult{}, paymentError(err)
	}
	activity.GetLogger(ctx).Info("payment authorized", "order_id", req.OrderID, "authorization_id", auth.ID, "amount", req.Amount)
	return workflows.PaymentResult{ID: auth.ID}, nil
}

// CapturePayment takes the authorized amount.
func (a *PaymentActivities) CapturePayment(ctx context.Context, req workflows.CapturePaymentRequest) (workflows.PaymentResult, error) {
	c, err := a.Gateway.Capture(ctx, req.AuthorizationID, req.Amount, req.IdempotencyKey)
	if err != nil {
		return workflows.PaymentResult{}, paymentError(err)
	}
	activity.GetLogger(ctx).Info("payment captured", "authorization_id", req.AuthorizationID, "capture_id", c.ID, "amount", req.Amount)
	return workflows.PaymentResult{ID: c.ID}, nil
}

// VoidPayment releases an authorization (a compensation). It first finds
// the authorization when the saga does not know its ID (see
// workflows.VoidPaymentRequest), and refunds it when it was captured after all.
func (a *PaymentActivities) VoidPayment(ctx context.Context, req workflows.VoidPaymentRequest) error {
	logger := activity.GetLogger(ctx)
	authID := req.AuthorizationID
	if authID == "" && req.Authorize != nil {
		auth, err := a.Gateway.Authorize(ctx, authorizeRequest(*req.Authorize))
		if payments.IsPermanent(err) {
			return nil // refused: nothing is held
		}
		if err != nil {
			return err
		}
		authID = auth.ID
	}
	err := a.Gateway.Void(ctx, authID, req.IdempotencyKey)
	var declined *payments.DeclinedError
	if errors.As(err, &declined) && declined.Code == "already_captured" {
		// The capture went through although the saga never heard: the
		// capture's own key finds it, and the money goes back.
		c, err := a.Gateway.Capture(ctx, authID, req.Amount, req.CaptureKey)
		if err != nil {
			return paymentError(err)
		}
		if _, err := a.Gateway.Refund(ctx, c.ID, req.Amount, req.RefundKey); err != nil {
			return paymentError(err)
		}
		logger.Info("payment was captured after all: refunded", "authorization_id", authID, "capture_id", c.ID)
		return nil
	}
	if err != nil {
		return paymentError(err)
	}
	logger.Info("payment voided", "authorization_id", authID)
	return nil
}

// RefundPayment returns a captured amount (the compensation of an order
// whose stock reservation expired before it could be confirmed).
func (a *PaymentActivities) RefundPayment(ctx context.Context, req workflows.RefundPaymentRequest) (workflows.PaymentResult, error) {
	r, err := a.Gateway.Refund(ctx, req.CaptureID, req.Amount, req.IdempotencyKey)
	if err != nil {
		return workflows.PaymentResult{}, paymentError(err)
	}
	return workflows.PaymentResult{ID: r.ID}, nil
}

func paymentError(err error) error {
	if err != nil && payments.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(declineReason(err), workflows.ErrPaymentDeclined, nil)
	}
	return err
}

// declineReason is the gateway's message, which is what a customer can act on.
func declineReason(err error) string {
	var d *payments.DeclinedError
	if errors.As(err, &d) && d.Message != "" {
		return d.Message
	}
	return err.Error()
}

func authorizeRequest(req workflows.AuthorizePaymentRequest) payments.AuthorizeRequest {
	return payments.AuthorizeRequest{
		IdempotencyKey: req.IdempotencyKey, Amount: req.Amount, Currency: req.Currency,
		Token: req.Token, Reference: req.OrderID,
	}
}
