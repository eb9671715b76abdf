package notifications

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// The types of the notification events on events.NotificationsTopic, one
// per message and channel.
const (
	// EventSent: a provider accepted the message (the notification is
	// recorded as sent on the channel).
	EventSent = "notification.sent"
	// EventDelivered: the provider reported that it reached the recipient.
	EventDelivered = "notification.delivered"
	// EventBounced: the recipient's mail server refused it (SendGrid's
	// bounce), possibly after it was reported delivered.
	EventBounced = "notification.bounced"
	// EventFailed: the channel did not deliver it: the send failed for
	// good or ran out of its retry budget, or the provider reported it
	// undelivered (Twilio's undelivered or failed, SendGrid's dropped).
	EventFailed = "notification.failed"
)

// EventTypes lists the notification events' types.
var EventTypes = []string{EventSent, EventDelivered, EventBounced, EventFailed}

// EventData is the data of every notification event. It names the message,
// never its recipient or its text: the topic is read by services that have
// no business with the customer's address, and a reason is stripped of
// anything that looks like one (redact).
type EventData struct {
	NotificationID string `json:"notification_id"`
	OrderID        string `json:"order_id,omitempty"`
	Kind           string `json:"kind,omitempty"` // e.g. "order.completed"
	Channel        string `json:"channel"`
	Provider       string `json:"provider,omitempty"`
	// ProviderMessageID is the provider's ID of the message ("" when the
	// send failed before the provider took it).
	ProviderMessageID string `json:"provider_message_id,omitempty"`
	// Attempt is the number of the provider call that sent the message, or
	// of the last one made for a failed channel (0: none was made, e.g.
	// every attempt waited on an open circuit breaker).
	Attempt int `json:"attempt,omitempty"`
	// Round is the workflow's round (1, plus one per manual retry), on
	// sent and failed events the workflow records.
	Round int `json:"round,omitempty"`
	// ProviderEvent is the provider's own word on delivered, bounced and
	// failed callbacks ("delivered", "bounce", "undelivered"...).
	ProviderEvent string `json:"provider_event,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// Event is one event in the outbox, as the relay claims it.
type Event struct {
	ID             int64
	EventID        string
	Type           string
	NotificationID string
	Data           []byte
	OccurredAt     time.Time
	RequestID      string
	TraceParent    string
}

// outbox holds the notification events until the relay publishes them
// (events.NotificationsTopic, keyed by notification ID, as CloudEvents whose
// ID is the fact they report: "<notification>/<channel>/sent"...).
var outbox = events.Outbox[Event, int64]{
	Name:  "notifications",
	Topic: events.NotificationsTopic,
	Lock:  0x6e6f746966696361, // "notifica"
	Claim: `SELECT id, event_id, type, notification_id, data, occurred_at, request_id, trace_parent
		FROM notifications.outbox ORDER BY id LIMIT $1`,
	Done: `DELETE FROM notifications.outbox WHERE id = ANY($1)`,
	Pending: `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
		FROM notifications.outbox`,
	Batch:    200,
	Interval: 200 * time.Millisecond,
	Message: func(ev Event) (events.Message, int64, error) {
		ce, err := events.New(ev.EventID, ev.Type, "/orderflow/notifications", ev.NotificationID, ev.OccurredAt, json.RawMessage(ev.Data))
		return events.Message{Key: ev.NotificationID, Event: ce,
			Origin: events.Origin{RequestID: ev.RequestID, TraceParent: ev.TraceParent}}, ev.ID, err
	},
}

// Relay returns the relay of the notification events. The orders worker
// runs it (the notifications worker has no Kafka settings); a Kafka outage
// delays events, and messages go on.
func (s *Store) Relay(pub events.BatchPublisher, logger *slog.Logger) *events.Relay[Event, int64] {
	return outbox.Relay(s.pool, pub, logger)
}

// newEvent is an event about to be written.
type newEvent struct {
	id, typ string
	at      time.Time
	data    EventData
}

// writeEvents adds evs to the outbox in tx, the transaction of the change
// they report. An event already there (the same fact written twice, e.g. a
// retried bookkeeping activity) is not added again.
func writeEvents(ctx context.Context, tx pgx.Tx, origin events.Origin, evs []newEvent) error {
	for _, ev := range evs {
		data, err := json.Marshal(ev.data)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO notifications.outbox (event_id, type, notification_id, data, occurred_at, request_id, trace_parent)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
			ev.id, ev.typ, ev.data.NotificationID, data, ev.at, origin.RequestID, origin.TraceParent); err != nil {
			return err
		}
	}
	return nil
}

// channelProviders is the provider of each channel, for a failed channel
// that made no provider call.
var channelProviders = map[string]string{
	ChannelEmail: providers.SendGridName, ChannelSMS: providers.TwilioName,
	ChannelPush: providers.PushName, ChannelWebhook: providers.WebhookName,
}

// maxReason bounds a reason on Kafka: a provider's error text can be long.
const maxReason = 300

var (
	emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+`)
	phoneLike = regexp.MustCompile(`\+?\d[\d ()\-]{6,}\d`)
	urlLike   = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://\S+`)
)

// redact returns a provider's reason fit for the topic: the recipient's
// addresses (in's, and anything shaped like an email address, a phone
// number or a URL) replaced, and the text bounded. Providers quote the
// address they refused ("The 'To' number +1500... is not valid", "550 5.1.1
// <ada@example.com>: Recipient address rejected").
// Redact returns a provider's error text without anything shaped like an
// address, bounded as redact does: fit for logs, and for workflow
// histories, where a local activity's failure keeps its message in clear.
func Redact(text string) string { return redact(text, Input{}) }

func redact(reason string, in Input) string {
	for _, addr := range []string{in.Email, in.Phone, in.DeviceToken, in.WebhookURL} {
		if addr != "" {
			reason = strings.ReplaceAll(reason, addr, "[redacted]")
		}
	}
	reason = urlLike.ReplaceAllString(reason, "[url]")
	reason = emailLike.ReplaceAllString(reason, "[email]")
	reason = phoneLike.ReplaceAllStringFunc(reason, func(s string) string {
		// Long digit runs are phone numbers; SMTP codes ("550 5.1.1") and
		// provider error codes ("21211", "30003") are kept: they say why.
		digits := 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return s
		}
		return "[phone]"
	})
	if r := []rune(reason); len(r) > maxReason {
		reason = string(r[:maxReason]) + "…"
	}
	return reason
}
