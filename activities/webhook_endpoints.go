package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// WebhookEndpointActivities deliver the platform's events to the endpoints
// integrators subscribed (internal/domain/webhooks).
type WebhookEndpointActivities struct {
	Store *webhooks.Store
	// Client is safehttp's: an endpoint's URL is an admin's choice, but it
	// must not reach the cluster's own services.
	Client *http.Client
	Users  *users.Store
	// DisableAfter is how long an endpoint may fail before it is disabled.
	DisableAfter time.Duration
}

// ErrWebhookRefused is a delivery no retry can make: the endpoint's address
// is one the platform may not reach.
const ErrWebhookRefused = "WebhookRefused"

// responseLogLimit is how much of an answer the delivery log keeps.
const responseLogLimit = 1024

// DeliverEventRequest names one delivery.
type DeliverEventRequest struct {
	DeliveryID string `json:"delivery_id"`
}

// DeliverEventResult says how a delivery ended, when no attempt is left to
// make: Stopped is why, "" when the endpoint took the event.
type DeliverEventResult struct {
	Stopped string `json:"stopped,omitempty"`
	// Disabled: this attempt disabled the endpoint (its admins are told).
	Disabled   bool   `json:"disabled,omitempty"`
	EndpointID string `json:"endpoint_id"`
}

// DeliverEvent makes one attempt: it posts the event, signed with the
// endpoint's secrets, and logs what came back. Anything but a 2xx is an
// error, retried by the workflow's policy; an endpoint deleted or disabled
// meanwhile ends the delivery.
func (a *WebhookEndpointActivities) DeliverEvent(ctx context.Context, req DeliverEventRequest) (DeliverEventResult, error) {
	d, e, err := a.Store.ToSend(ctx, req.DeliveryID)
	res := DeliverEventResult{EndpointID: d.EndpointID}
	switch {
	case errors.Is(err, webhooks.ErrDeliveryNotFound), errors.Is(err, webhooks.ErrEndpointNotFound):
		res.Stopped = "the endpoint was deleted"
		return res, nil
	case err != nil:
		return res, err
	case !e.Enabled:
		res.Stopped = "the endpoint is disabled"
		return res, a.Store.MarkFailed(ctx, d.ID)
	}
	attempt, sendErr := a.post(ctx, d, e)
	disabled, err := a.Store.RecordAttempt(ctx, d.ID, attempt, a.DisableAfter)
	if err != nil {
		return res, err
	}
	var appErr *temporal.ApplicationError
	switch {
	case sendErr == nil:
		webhookAttempts.WithLabelValues(webhookSucceeded).Inc()
	case errors.As(sendErr, &appErr) && appErr.Type() == ErrWebhookRefused:
		webhookAttempts.WithLabelValues(webhookRefused).Inc()
	default:
		webhookAttempts.WithLabelValues(webhookFailed).Inc()
	}
	logger := activity.GetLogger(ctx)
	if disabled {
		webhookEndpointsDisabled.Inc()
		logger.Warn("webhook endpoint disabled", "endpoint_id", e.ID, "delivery_id", d.ID, "reason", attempt.Outcome())
		res.Stopped, res.Disabled = "the endpoint was disabled", true
		return res, a.Store.MarkFailed(ctx, d.ID)
	}
	if sendErr != nil {
		return res, sendErr
	}
	logger.Info("webhook delivered", "endpoint_id", e.ID, "delivery_id", d.ID, "event_type", d.EventType, "status", attempt.ResponseStatus)
	return res, nil
}

// post sends the delivery and describes the attempt; the error is what the
// retry policy sees.
func (a *WebhookEndpointActivities) post(ctx context.Context, d webhooks.Delivery, e webhooks.Endpoint) (webhooks.Attempt, error) {
	started := time.Now()
	attempt := webhooks.Attempt{StartedAt: started}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(d.Payload))
	if err != nil {
		attempt.Error = "the endpoint's URL is not usable: " + err.Error()
		return attempt, temporal.NewNonRetryableApplicationError(attempt.Error, ErrWebhookRefused, nil)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orderflow-webhooks")
	// The event's ID is the message's: the same for every attempt and
	// redelivery, so the receiver drops what it has seen.
	if err := webhooksign.Sign(req.Header, e.Secrets(started), d.EventID, started, d.Payload); err != nil {
		return attempt, err
	}
	resp, err := a.Client.Do(req)
	attempt.DurationMS = int(time.Since(started).Milliseconds())
	var refused *safehttp.RefusedError
	switch {
	case errors.As(err, &refused):
		attempt.Error = refused.Error()
		return attempt, temporal.NewNonRetryableApplicationError(attempt.Error, ErrWebhookRefused, err)
	case err != nil:
		attempt.Error = err.Error()
		return attempt, fmt.Errorf("webhook not delivered: %w", err)
	}
	defer resp.Body.Close()
	body, _ := safehttp.ReadBody(resp.Body, responseLogLimit)
	attempt.ResponseStatus, attempt.ResponseBody = resp.StatusCode, string(bytes.ToValidUTF8(body, nil))
	switch {
	case attempt.Succeeded():
		return attempt, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		attempt.Error = "HTTP " + strconv.Itoa(resp.StatusCode) + ": redirects are not followed (Location: " + resp.Header.Get("Location") + ")"
	default:
		attempt.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return attempt, errors.New("webhook not accepted: " + attempt.Error)
}

// FailDelivery records that a delivery ran out of attempts.
func (a *WebhookEndpointActivities) FailDelivery(ctx context.Context, req DeliverEventRequest) error {
	return a.Store.MarkFailed(ctx, req.DeliveryID)
}

// EndpointDisabledNotices are the messages that tell every admin an
// endpoint was disabled, one per admin, each with its idempotency key.
func (a *WebhookEndpointActivities) EndpointDisabledNotices(ctx context.Context, endpointID string) ([]notifications.Input, error) {
	e, err := a.Store.Endpoint(ctx, endpointID)
	if errors.Is(err, webhooks.ErrEndpointNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	admins, err := a.Users.Admins(ctx)
	if err != nil {
		return nil, err
	}
	subject := "Webhook endpoint disabled: " + e.URL
	body := fmt.Sprintf("The webhook endpoint %s (%s) was disabled: %s. Its events are no longer sent. "+
		"Fix the receiver, then enable it again with PATCH /api/webhook-endpoints/%s {\"enabled\": true} "+
		"and redeliver what it missed from its delivery log.", e.ID, e.URL, e.DisabledReason, e.ID)
	notices := make([]notifications.Input, 0, len(admins))
	for _, admin := range admins {
		notices = append(notices, notifications.Input{
			NotificationID: "webhook-endpoint-" + e.ID + "-disabled-" + strconv.FormatInt(e.UpdatedAt.Unix(), 10) + "-" + admin.ID,
			Kind:           "webhook_endpoint.disabled", CustomerID: admin.ID, Urgent: true,
			Channels: []string{notifications.ChannelEmail}, Email: admin.Email,
			Subject: subject, Body: body,
		})
	}
	return notices, nil
}
