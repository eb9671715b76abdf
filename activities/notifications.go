package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/providers"
	"github.com/orderflow/orderflow/workflows"
)

// NotificationActivities deliver messages through the providers' SDKs.
type NotificationActivities struct {
	Email     *providers.SendGrid
	SMS       *providers.Twilio
	EmailFrom string
	SMSFrom   string
}

// SendEmail sends one email. SendGrid has no idempotency of its own: the key
// travels with the message so a duplicate after a lost response can be
// recognised downstream.
func (a *NotificationActivities) SendEmail(ctx context.Context, req workflows.SendEmailRequest) (workflows.SendResult, error) {
	id, err := a.Email.Send(ctx, providers.Email{
		To: req.To, From: a.EmailFrom, Subject: req.Subject, Text: req.Body, IdempotencyKey: req.IdempotencyKey,
	})
	if err != nil {
		return workflows.SendResult{}, deliveryError(err)
	}
	return workflows.SendResult{ProviderMessageID: id}, nil
}

// SendSMS sends one text message.
func (a *NotificationActivities) SendSMS(ctx context.Context, req workflows.SendSMSRequest) (workflows.SendResult, error) {
	id, err := a.SMS.Send(ctx, providers.SMS{To: req.To, From: a.SMSFrom, Body: req.Body, IdempotencyKey: req.IdempotencyKey})
	if err != nil {
		return workflows.SendResult{}, deliveryError(err)
	}
	return workflows.SendResult{ProviderMessageID: id}, nil
}

// deliveryError makes permanent provider refusals (invalid number,
// unsubscribed) non-retryable so the workflow falls back at once, and passes
// a provider's Retry-After on to Temporal's next retry.
func deliveryError(err error) error {
	if providers.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrPermanentDelivery, nil)
	}
	if wait, ok := providers.RetryAfter(err); ok {
		return temporal.NewApplicationErrorWithOptions(err.Error(), "ProviderUnavailable",
			temporal.ApplicationErrorOptions{NextRetryDelay: wait, Cause: err})
	}
	return err
}
