package notifications

import (
	"context"
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
)

// Delivery states, normalised from the providers' own words.
const (
	DeliveryAccepted    = "accepted"    // on its way
	DeliveryDelivered   = "delivered"   // reached the recipient
	DeliveryUndelivered = "undelivered" // will not reach them: bounced, dropped, failed
)

// DeliveryEvent is one status a provider reported for a message.
type DeliveryEvent struct {
	Provider          string
	EventID           string // unique per provider: a repeat is ignored
	ProviderMessageID string
	Event             string // the provider's word: "delivered", "bounce", "undelivered"...
	Detail            string // a bounce reason, an error code
	OccurredAt        time.Time
}

// deliveryStates maps the providers' event names to a state and a rank; the
// highest rank seen is the message's state. Events missing here (spam
// reports, unsubscribes) are kept but say nothing of delivery.
var deliveryStates = map[string]map[string]struct {
	state string
	rank  int
}{
	// Twilio's MessageStatus values.
	providers.TwilioName: {
		"accepted": {DeliveryAccepted, 1}, "scheduled": {DeliveryAccepted, 1}, "queued": {DeliveryAccepted, 1},
		"sending": {DeliveryAccepted, 1}, "sent": {DeliveryAccepted, 1},
		"delivered": {DeliveryDelivered, 2}, "read": {DeliveryDelivered, 2},
		"undelivered": {DeliveryUndelivered, 3}, "failed": {DeliveryUndelivered, 3}, "canceled": {DeliveryUndelivered, 3},
	},
	// SendGrid's event types. An opened or clicked mail was delivered; a
	// bounce may follow "delivered" (an asynchronous bounce) and wins.
	providers.SendGridName: {
		"processed": {DeliveryAccepted, 1}, "deferred": {DeliveryAccepted, 1},
		"delivered": {DeliveryDelivered, 2}, "open": {DeliveryDelivered, 2}, "click": {DeliveryDelivered, 2},
		"bounce": {DeliveryUndelivered, 3}, "dropped": {DeliveryUndelivered, 3},
	},
}

// RecordDeliveryEvent stores e and reports whether it is new.
func (s *Store) RecordDeliveryEvent(ctx context.Context, e DeliveryEvent) (bool, error) {
	st := deliveryStates[e.Provider][e.Event]
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO notifications.delivery_events
			(provider, event_id, provider_message_id, event, state, rank, detail, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (provider, event_id) DO NOTHING`,
		e.Provider, e.EventID, e.ProviderMessageID, e.Event, st.state, st.rank, e.Detail, e.OccurredAt)
	return tag.RowsAffected() == 1, err
}
