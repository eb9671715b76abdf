package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/breaker"
)

// NotificationActivities deliver messages through the providers, behind
// their circuit breakers, and keep the notifications service's records.
type NotificationActivities struct {
	Email     *providers.SendGrid
	SMS       *providers.Twilio
	Push      *providers.Push
	Webhooks  *providers.Webhook
	EmailFrom string
	SMSFrom   string
	// SMSStatusCallback is the URL Twilio posts delivery statuses to; ""
	// asks for none.
	SMSStatusCallback string
	Store             *notifications.Store
	Breakers          *breaker.Set
	// WebPush sends to browsers; Devices are the browsers and phones the
	// customers registered (push_devices.go).
	WebPush *providers.WebPush
	Devices *users.Store
}

// SendEmail sends one email through SendGrid.
func (a *NotificationActivities) SendEmail(ctx context.Context, req SendEmailRequest) (SendResult, error) {
	r := route{channel: notifications.ChannelEmail, provider: providers.SendGridName, breaker: providers.SendGridName}
	return a.deliver(ctx, req.Delivery, r, func(ctx context.Context) (providers.Receipt, error) {
		return a.Email.Send(ctx, providers.Email{
			To: req.To, From: a.EmailFrom, Subject: req.Subject, Text: req.Body, IdempotencyKey: req.IdempotencyKey,
		})
	})
}

// SendSMS sends one text message through Twilio.
func (a *NotificationActivities) SendSMS(ctx context.Context, req SendSMSRequest) (SendResult, error) {
	r := route{channel: notifications.ChannelSMS, provider: providers.TwilioName, breaker: providers.TwilioName}
	return a.deliver(ctx, req.Delivery, r, func(ctx context.Context) (providers.Receipt, error) {
		return a.SMS.Send(ctx, providers.SMS{
			To: req.To, From: a.SMSFrom, Body: req.Body, IdempotencyKey: req.IdempotencyKey, StatusCallback: a.SMSStatusCallback,
		})
	})
}

// SendPush sends one push notification: through the push service to the
// device the request names, or to each of the customer's devices
// (push_devices.go).
func (a *NotificationActivities) SendPush(ctx context.Context, req SendPushRequest) (SendResult, error) {
	r := route{channel: notifications.ChannelPush, provider: providers.PushName, breaker: providers.PushName}
	m := providers.PushMessage{
		Token: req.DeviceToken, Title: req.Title, Body: req.Body, IdempotencyKey: req.IdempotencyKey,
		Data: map[string]string{"notification_id": req.NotificationID, "order_id": req.OrderID},
	}
	return a.deliver(ctx, req.Delivery, r, func(ctx context.Context) (providers.Receipt, error) {
		if req.DeviceToken == "" {
			return a.pushToDevices(ctx, req.CustomerID, m)
		}
		return a.Push.Send(ctx, m)
	})
}

// SendWebhook posts one signed event to the customer's URL. Each receiver
// has its own breaker: one customer's server being down says nothing of
// the others'.
func (a *NotificationActivities) SendWebhook(ctx context.Context, req SendWebhookRequest) (SendResult, error) {
	body, err := json.Marshal(req.Event)
	if err != nil {
		return SendResult{}, err
	}
	host := req.URL
	if u, err := url.Parse(req.URL); err == nil {
		host = u.Host
	}
	r := route{channel: notifications.ChannelWebhook, provider: providers.WebhookName, breaker: providers.WebhookName + ":" + host}
	return a.deliver(ctx, req.Delivery, r, func(ctx context.Context) (providers.Receipt, error) {
		return a.Webhooks.Send(ctx, req.URL, body, req.IdempotencyKey)
	})
}

// RecordNotification stores a notification's state in the read model. It
// runs as a local activity of NotificationWorkflow; a state the database
// refuses for what it holds is not retried (writeError).
func (a *NotificationActivities) RecordNotification(ctx context.Context, req RecordNotificationRequest) error {
	if err := a.Store.Save(ctx, req.Input, req.State); err != nil {
		return writeError(fmt.Errorf("save notification %s state: %w", req.State.NotificationID, err))
	}
	return nil
}
