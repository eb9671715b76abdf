package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/payments"
)

// PaymentActivities call the payment gateway. Every call carries the
// workflow's idempotency key for that operation, so the gateway performs it
// once however often the activity is retried.
type PaymentActivities struct {
	Gateway payments.Gateway
}

// AuthorizePayment holds the order total on the customer's card.
func (a *PaymentActivities) AuthorizePayment(ctx context.Context, req AuthorizePaymentRequest) (PaymentResult, error) {
	auth, err := a.Gateway.Authorize(ctx, authorizeRequest(req))
	if err != nil {
		return PaymentResult{}, paymentError(err)
	}
	activity.GetLogger(ctx).Info("payment authorized", "order_id", req.OrderID, "authorization_id", auth.ID, "amount", req.Amount)
	return PaymentResult{ID: auth.ID}, nil
}

// CapturePayment takes the authorized amount.
func (a *PaymentActivities) CapturePayment(ctx context.Context, req CapturePaymentRequest) (PaymentResult, error) {
	c, err := a.Gateway.Capture(ctx, req.AuthorizationID, req.Amount, req.IdempotencyKey)
	if err != nil {
		return PaymentResult{}, paymentError(err)
	}
	activity.GetLogger(ctx).Info("payment captured", "authorization_id", req.AuthorizationID, "capture_id", c.ID, "amount", req.Amount)
	return PaymentResult{ID: c.ID}, nil
}

// VoidPayment releases an authorization (a compensation), and refunds it
// when it was captured after all. When the saga does not know the
// authorization (its answer was lost), the gateway's own list of the order's
// authorizations says what was done; nothing is authorized again to find out.
func (a *PaymentActivities) VoidPayment(ctx context.Context, req VoidPaymentRequest) error {
	if req.AuthorizationID != "" {
		return a.void(ctx, req, req.AuthorizationID)
	}
	found, err := a.Gateway.FindAuthorizations(ctx, req.Reference())
	if err != nil {
		return paymentError(err)
	}
	for _, auth := range found {
		if auth.Status == "voided" {
			continue
		}
		if err := a.void(ctx, req, auth.ID); err != nil {
			return err
		}
	}
	if len(found) == 0 {
		activity.GetLogger(ctx).Info("no authorization was made: nothing to void", "order_id", req.Reference())
	}
	return nil
}

func (a *PaymentActivities) void(ctx context.Context, req VoidPaymentRequest, authID string) error {
	logger := activity.GetLogger(ctx)
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
func (a *PaymentActivities) RefundPayment(ctx context.Context, req RefundPaymentRequest) (PaymentResult, error) {
	r, err := a.Gateway.Refund(ctx, req.CaptureID, req.Amount, req.IdempotencyKey)
	if err != nil {
		return PaymentResult{}, paymentError(err)
	}
	return PaymentResult{ID: r.ID}, nil
}

// paymentError classifies a gateway error for the saga: a refusal is final
// (PaymentDeclined); a failure the gateway answered is retried and, if it is
// the last word, tells the saga that nothing was done (PaymentGatewayFailed);
// anything else (timeouts, lost connections) leaves the outcome unknown.
func paymentError(err error) error {
	var failed *payments.GatewayError
	switch {
	case err == nil:
		return nil
	case payments.IsPermanent(err):
		return temporal.NewNonRetryableApplicationError(declineReason(err), ErrPaymentDeclined, nil)
	case errors.As(err, &failed):
		return temporal.NewApplicationError(failed.Error(), ErrPaymentGatewayFailed)
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

func authorizeRequest(req AuthorizePaymentRequest) payments.AuthorizeRequest {
	return payments.AuthorizeRequest{
		IdempotencyKey: req.IdempotencyKey, Amount: req.Amount, Currency: req.Currency,
		Token: req.Token, Reference: req.OrderID,
	}
}
