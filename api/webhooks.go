package api

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	twilio "github.com/twilio/twilio-go/client"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// Paths of the providers' delivery status callbacks. They are public: the
// providers prove who they are by signing, not with the API's credentials.
const (
	TwilioWebhookPath   = "/webhooks/twilio"
	SendGridWebhookPath = "/webhooks/sendgrid"
)

// Callbacks is what verifies the providers' callbacks.
type Callbacks struct {
	// PublicURL is the API's base URL as the providers call it. Twilio signs
	// the whole URL it posted to, which a proxy in front of the API hides.
	PublicURL string
	// TwilioAuthToken is the key of X-Twilio-Signature.
	TwilioAuthToken string
	// SendGridKey verifies SendGrid's signed event webhook; nil refuses
	// every event.
	SendGridKey *ecdsa.PublicKey
	// CarrierSecret is the key of the carrier's Carrier-Signature.
	CarrierSecret string
}

// sendGridEvent is the part of a SendGrid event the API keeps.
type sendGridEvent struct {
	Event       string `json:"event"`
	SGEventID   string `json:"sg_event_id"`
	SGMessageID string `json:"sg_message_id"`
	Timestamp   int64  `json:"timestamp"`
	Reason      string `json:"reason"`
}

// callbacksRefused counts the provider callbacks refused before they were
// read: unsigned, signed wrongly (forged, altered, or a key that does not
// match the provider's), or with no key to check them by.
var callbacksRefused = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_callbacks_refused_total",
	Help: "Provider callbacks refused, by provider and reason (missing_signature, bad_signature, no_key).",
}, []string{"provider", "reason"})

// Every reason is exported at 0 from the start, so that an alert sees the
// first refusal as an increase.
func init() {
	for _, reason := range []string{"missing_signature", "bad_signature"} {
		callbacksRefused.WithLabelValues(providers.TwilioName, reason)
		callbacksRefused.WithLabelValues(providers.SendGridName, reason)
	}
	callbacksRefused.WithLabelValues(providers.SendGridName, "no_key")
}

// twilioWebhook is POST /webhooks/twilio: a message's status, as a form
// signed with X-Twilio-Signature. A forged or altered callback is refused
// before anything is read from it.
func (s *Server) twilioWebhook(w http.ResponseWriter, r *http.Request) {
	body, p := httpx.ReadBody(w, r) // the signatures cover its bytes
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	signature := r.Header.Get("X-Twilio-Signature")
	if signature == "" {
		callbacksRefused.WithLabelValues(providers.TwilioName, "missing_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "X-Twilio-Signature is missing"))
		return
	}
	validator := twilio.NewRequestValidator(s.Callbacks.TwilioAuthToken)
	if !validator.ValidateBody(strings.TrimRight(s.Callbacks.PublicURL, "/")+r.URL.RequestURI(), body, signature) {
		s.Logger.Warn("refused a Twilio callback with a bad signature", "request_id", httpx.RequestID(r.Context()))
		callbacksRefused.WithLabelValues(providers.TwilioName, "bad_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "X-Twilio-Signature does not match"))
		return
	}
	form, err := url.ParseQuery(string(body))
	sid, status := form.Get("MessageSid"), form.Get("MessageStatus")
	if err != nil || sid == "" || status == "" {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "want a form with MessageSid and MessageStatus"))
		return
	}
	s.recordDeliveryEvent(w, r, []notifications.DeliveryEvent{{
		Provider: providers.TwilioName, EventID: sid + "/" + status, ProviderMessageID: sid,
		Event: status, Detail: form.Get("ErrorCode"), OccurredAt: time.Now().UTC(),
	}})
}

// sendGridWebhook is POST /webhooks/sendgrid: a batch of events, signed with
// ECDSA as SendGrid's signed event webhook is. A replayed batch changes
// nothing: every event is kept once, by its sg_event_id.
func (s *Server) sendGridWebhook(w http.ResponseWriter, r *http.Request) {
	body, p := httpx.ReadBody(w, r) // the signatures cover its bytes
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	signature, timestamp := r.Header.Get(eventwebhook.VerificationHTTPHeader), r.Header.Get(eventwebhook.TimestampHTTPHeader)
	if signature == "" || timestamp == "" {
		callbacksRefused.WithLabelValues(providers.SendGridName, "missing_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, eventwebhook.VerificationHTTPHeader+" and "+eventwebhook.TimestampHTTPHeader+" are required"))
		return
	}
	if s.Callbacks.SendGridKey == nil {
		s.Logger.Warn("refused a SendGrid event batch: SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
		callbacksRefused.WithLabelValues(providers.SendGridName, "no_key").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "this API verifies no SendGrid signatures"))
		return
	}
	if ok, err := eventwebhook.VerifySignature(s.Callbacks.SendGridKey, body, signature, timestamp); err != nil || !ok {
		s.Logger.Warn("refused a SendGrid event batch with a bad signature", "request_id", httpx.RequestID(r.Context()))
		callbacksRefused.WithLabelValues(providers.SendGridName, "bad_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, eventwebhook.VerificationHTTPHeader+" does not match"))
		return
	}
	var batch []sendGridEvent
	if err := json.Unmarshal(body, &batch); err != nil {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "want a JSON array of events"))
		return
	}
	events := make([]notifications.DeliveryEvent, 0, len(batch))
	for _, e := range batch {
		if e.SGEventID == "" || e.SGMessageID == "" {
			continue // not about a message we sent (e.g. a group unsubscribe)
		}
		// sg_message_id is the X-Message-Id of the send, then ".filter...".
		messageID, _, _ := strings.Cut(e.SGMessageID, ".")
		events = append(events, notifications.DeliveryEvent{
			Provider: providers.SendGridName, EventID: e.SGEventID, ProviderMessageID: messageID,
			Event: e.Event, Detail: e.Reason, OccurredAt: time.Unix(e.Timestamp, 0).UTC(),
		})
	}
	s.recordDeliveryEvent(w, r, events)
}

func (s *Server) recordDeliveryEvent(w http.ResponseWriter, r *http.Request, events []notifications.DeliveryEvent) {
	for _, e := range events {
		// Signed but unusable (a provider bug or a test): a 4xx, not a 500
		// the provider would retry for ever.
		if !httpx.IsText(e.EventID) || !httpx.IsText(e.ProviderMessageID) || !httpx.IsText(e.Event) || !httpx.IsText(e.Detail) {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "the callback's event ID, message ID, event or detail is not valid text"))
			return
		}
	}
	for _, e := range events {
		rec, err := s.Notifications.RecordDeliveryEvent(r.Context(), e)
		if err != nil {
			// 500 makes the provider post the callback again later.
			s.internalError(w, r, "could not store a delivery event", err, "provider", e.Provider, "provider_message_id", e.ProviderMessageID)
			return
		}
		s.Logger.Info("delivery event", "provider", e.Provider, "provider_message_id", e.ProviderMessageID,
			"event", e.Event, "duplicate", !rec.Added, "request_id", httpx.RequestID(r.Context()))
		if rec.Fallback != nil {
			if err := s.startFallback(r.Context(), *rec.Fallback); err != nil {
				// The bounce is stored and its follow-up decided; the
				// provider's retry of this callback starts it.
				s.internalError(w, r, "could not move a bounced message on to the next channel", err,
					"notification_id", rec.Fallback.Input.NotificationID, "channel", rec.Fallback.Input.After)
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// startFallback starts the follow-up delivery of a late bounce: a
// NotificationWorkflow for the channels after the one that bounced, under a
// workflow ID derived from that channel, which the server refuses to start
// twice (REJECT_DUPLICATE), so that duplicate callbacks, or an API replica
// racing another, move the message on once. It is the bounce that pays for
// this: a message that is never bounced costs its workflow nothing more.
func (s *Server) startFallback(ctx context.Context, fb notifications.Fallback) error {
	id := fb.Input.WorkflowID()
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             workflows.NotificationsTaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// A follow-up running or closed already is this one.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.NotificationWorkflow, fb.Input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	duplicate := errors.As(err, &started)
	if err != nil && !duplicate {
		return err
	}
	s.Logger.Info("late bounce: moving the message on to the next channel", "notification_id", fb.Input.NotificationID,
		"order_id", fb.Input.OrderID, "bounced_channel", fb.Input.After, "provider", fb.Provider,
		"provider_message_id", fb.ProviderMessageID, "workflow_id", id, "already_started", duplicate,
		"request_id", httpx.RequestID(ctx))
	fallbacksStarted.WithLabelValues(fb.Input.After).Inc()
	return s.Notifications.FallbackStarted(ctx, fb)
}

// fallbacksStarted counts the late bounces that moved a message on.
var fallbacksStarted = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_notification_fallbacks_total",
	Help: "Late bounces and failed deliveries that moved a message on to the customer's next channel, by the channel that did not deliver.",
}, []string{"channel"})
