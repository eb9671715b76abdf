package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/events"
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
var deliveryStates = map[string]map[string]deliveryState{
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

// deliveryState is where a callback says a message is, and its rank.
type deliveryState struct {
	state string
	rank  int
}

// LateBounceWindow is how long after a send a bounce or failed-delivery
// callback still moves the message on to the customer's next channel. Most
// bounces come within minutes, the asynchronous ones (a mailbox that
// accepted the mail, then refused it) within hours; a message that sat
// undelivered for longer reports news the customer has likely had another
// way (the order page, the parcel), and a text about yesterday's order
// confuses more than it tells. The bound also keeps a provider replaying
// old callbacks from resending old messages.
const LateBounceWindow = 24 * time.Hour

// Recorded is what storing a delivery event came to.
type Recorded struct {
	Added bool // false: a repeat of an event already stored, ignored
	// Fallback is, for a bounce or failed delivery within
	// LateBounceWindow of the send, the follow-up that moves the message on
	// to the customer's next channels; the caller starts it, then calls
	// FallbackStarted. A repeated callback returns it again until then, so
	// that a start that failed is retried with the provider's retry.
	Fallback *Fallback
}

// Fallback is a late bounce's follow-up delivery.
type Fallback struct {
	// Input starts the follow-up NotificationWorkflow: the message's own,
	// with After naming the channel that bounced and Channels the ones after
	// it. Input.WorkflowID() is the same for every callback that reports it.
	Input Input
	// Provider and ProviderMessageID name the message that bounced.
	Provider, ProviderMessageID string
}

// RecordDeliveryEvent stores e and, in the same transaction:
//
//   - writes notification.delivered, .bounced or .failed to the outbox when
//     e is the first event to say so of a message this service sent (a
//     later "open" after "delivered" adds nothing; a bounce after
//     "delivered" does);
//   - for a bounce or failed delivery of a message sent on channel N within
//     LateBounceWindow, records the move to the channels after N (once per
//     message and channel) and returns it as the Fallback to start.
func (s *Store) RecordDeliveryEvent(ctx context.Context, e DeliveryEvent) (Recorded, error) {
	var rec Recorded
	st := deliveryStates[e.Provider][e.Event]
	const insert = `
		INSERT INTO notifications.delivery_events
			(provider, event_id, provider_message_id, event, state, rank, detail, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (provider, event_id) DO NOTHING`
	if st.state != DeliveryDelivered && st.state != DeliveryUndelivered {
		// "processed", "sent", a spam report: nothing to publish or act on.
		tag, err := s.pool.Exec(ctx, insert,
			e.Provider, e.EventID, e.ProviderMessageID, e.Event, st.state, st.rank, e.Detail, e.OccurredAt)
		rec.Added = tag.RowsAffected() == 1
		return rec, err
	}
	origin := events.OriginOf(ctx)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Callbacks of one message are taken one at a time, so that exactly
		// one of two concurrent ones is the first to say "bounced".
		if err := lockMessage(ctx, tx, e.Provider, e.ProviderMessageID); err != nil {
			return err
		}
		var rankBefore int
		if err := tx.QueryRow(ctx, `
			SELECT COALESCE(max(rank), 0) FROM notifications.delivery_events
			WHERE provider = $1 AND provider_message_id = $2`, e.Provider, e.ProviderMessageID).Scan(&rankBefore); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, insert,
			e.Provider, e.EventID, e.ProviderMessageID, e.Event, st.state, st.rank, e.Detail, e.OccurredAt)
		if err != nil {
			return err
		}
		rec.Added = tag.RowsAffected() == 1
		m, found, err := sentMessage(ctx, tx, e.Provider, e.ProviderMessageID)
		if err != nil || !found {
			return err // a message this service did not send (or not yet recorded as sent) has no events
		}
		if rec.Added && st.rank > rankBefore {
			if err := writeEvents(ctx, tx, origin, []newEvent{deliveryEvent(e, st, m)}); err != nil {
				return err
			}
		}
		if st.state == DeliveryUndelivered {
			rec.Fallback, err = fallback(ctx, tx, e, m)
		}
		return err
	})
	return rec, err
}

// sentMessageInfo is a message this service sent, as a callback names it.
type sentMessageInfo struct {
	notificationID, channel string
	attempt                 int
	withinWindow            bool // sent no longer than LateBounceWindow ago
	input                   Input
	hasInput                bool
}

// sentMessage finds the accepted provider call of a provider's message ID.
func sentMessage(ctx context.Context, tx pgx.Tx, provider, messageID string) (sentMessageInfo, bool, error) {
	var m sentMessageInfo
	if messageID == "" {
		return m, false, nil
	}
	var input []byte
	err := tx.QueryRow(ctx, `
		SELECT a.notification_id, a.channel, a.attempt,
			COALESCE(a.finished_at, a.started_at) > now() - make_interval(secs => $3), n.input
		FROM notifications.attempts a LEFT JOIN notifications.notifications n ON n.id = a.notification_id
		WHERE a.provider = $1 AND a.provider_message_id = $2 AND a.status = 'sent'
		ORDER BY a.id DESC LIMIT 1`, provider, messageID, LateBounceWindow.Seconds()).
		Scan(&m.notificationID, &m.channel, &m.attempt, &m.withinWindow, &input)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if input != nil {
		if err := json.Unmarshal(input, &m.input); err != nil {
			return m, false, fmt.Errorf("notification %s: input: %w", m.notificationID, err)
		}
		m.hasInput = true
		m.input.NotificationID = m.notificationID
	}
	return m, true, nil
}

// fallback decides whether the bounce e of the message m moves it on, and
// returns the follow-up to start, if any is not known to be started yet.
func fallback(ctx context.Context, tx pgx.Tx, e DeliveryEvent, m sentMessageInfo) (*Fallback, error) {
	if !m.hasInput {
		return nil, nil
	}
	next := m.input
	next.After = m.channel
	next.Channels = nil // the ones after the channel that bounced
	if i := slices.Index(m.input.Channels, m.channel); i >= 0 {
		next.Channels = m.input.Channels[i+1:]
	}
	fb := &Fallback{Input: next, Provider: e.Provider, ProviderMessageID: e.ProviderMessageID}
	var startedAt *time.Time
	err := tx.QueryRow(ctx, `
		SELECT started_at FROM notifications.fallbacks WHERE notification_id = $1 AND from_channel = $2`,
		m.notificationID, m.channel).Scan(&startedAt)
	switch {
	case err == nil: // decided by an earlier callback
		if startedAt != nil {
			return nil, nil
		}
		return fb, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, err
	}
	if !m.withinWindow || !slices.ContainsFunc(next.Channels, next.HasAddress) {
		return nil, nil // too late, or no channel left to move on to
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO notifications.fallbacks (notification_id, from_channel, provider, provider_message_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		m.notificationID, m.channel, e.Provider, e.ProviderMessageID); err != nil {
		return nil, err
	}
	return fb, nil
}

// FallbackStarted records that the follow-up of a late bounce is started:
// later callbacks reporting the bounce leave it be.
func (s *Store) FallbackStarted(ctx context.Context, fb Fallback) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE notifications.fallbacks SET started_at = now()
		WHERE notification_id = $1 AND from_channel = $2 AND started_at IS NULL`,
		fb.Input.NotificationID, fb.Input.After)
	return err
}

// deliveryEvent is the event of callback e, which raised the message m to
// st: delivered, bounced (SendGrid's bounce) or failed.
func deliveryEvent(e DeliveryEvent, st deliveryState, m sentMessageInfo) newEvent {
	typ := EventFailed
	switch {
	case st.state == DeliveryDelivered:
		typ = EventDelivered
	case e.Provider == providers.SendGridName && e.Event == "bounce":
		typ = EventBounced
	}
	at := e.OccurredAt
	if at.IsZero() {
		at = time.Now()
	}
	return newEvent{
		id:  fmt.Sprintf("%s/%s/%s", e.Provider, e.ProviderMessageID, strings.TrimPrefix(typ, "notification.")),
		typ: typ, at: at,
		data: EventData{NotificationID: m.notificationID, OrderID: m.input.OrderID, Kind: m.input.Kind, Channel: m.channel,
			Provider: e.Provider, ProviderMessageID: e.ProviderMessageID, Attempt: m.attempt, ProviderEvent: e.Event,
			Reason: redact(e.Detail, m.input)},
	}
}

// lockMessage takes the callbacks of one provider message one at a time,
// with the recording of its send (FinishAttempt).
func lockMessage(ctx context.Context, tx pgx.Tx, provider, messageID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "notification-message/"+provider+"/"+messageID)
	return err
}

// reportEarlyCallbacks writes the events of the callbacks that came for a
// message before its send was recorded as sent: a provider can call back
// within milliseconds of accepting a message, while the worker is still
// writing down that it did, and RecordDeliveryEvent then stored them
// without an event for want of the message they name. Each callback that
// raised the message's state is reported, in the order of its rank; the
// event IDs keep a callback from being reported twice. (Such an early
// bounce moves nothing on: a bounce comes minutes after a send, not
// milliseconds.)
func reportEarlyCallbacks(ctx context.Context, tx pgx.Tx, provider, messageID string) error {
	if messageID == "" {
		return nil
	}
	if err := lockMessage(ctx, tx, provider, messageID); err != nil {
		return err
	}
	m, found, err := sentMessage(ctx, tx, provider, messageID)
	if err != nil || !found {
		return err
	}
	rows, err := tx.Query(ctx, `
		SELECT event, state, rank, detail, occurred_at FROM notifications.delivery_events
		WHERE provider = $1 AND provider_message_id = $2 AND state IN ($3, $4)
		ORDER BY rank, occurred_at`, provider, messageID, DeliveryDelivered, DeliveryUndelivered)
	if err != nil {
		return err
	}
	var evs []newEvent
	reached := 0
	for rows.Next() {
		e := DeliveryEvent{Provider: provider, ProviderMessageID: messageID}
		var st deliveryState
		if err := rows.Scan(&e.Event, &st.state, &st.rank, &e.Detail, &e.OccurredAt); err != nil {
			rows.Close()
			return err
		}
		if st.rank > reached {
			reached = st.rank
			evs = append(evs, deliveryEvent(e, st, m))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return writeEvents(ctx, tx, events.OriginOf(ctx), evs)
}
