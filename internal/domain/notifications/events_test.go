package notifications_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// outboxEvent is a row of notifications.outbox.
type outboxEvent struct {
	EventID string
	Type    string
	Data    notifications.EventData
}

// outboxOf returns the outbox's events of one notification, oldest first.
func outboxOf(t *testing.T, id string) []outboxEvent {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT event_id, type, data FROM notifications.outbox WHERE notification_id = $1 ORDER BY id`, id)
	require.NoError(t, err)
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var ev outboxEvent
		var data []byte
		require.NoError(t, rows.Scan(&ev.EventID, &ev.Type, &data))
		require.NoError(t, json.Unmarshal(data, &ev.Data))
		out = append(out, ev)
	}
	require.NoError(t, rows.Err())
	return out
}

func types(evs []outboxEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// sendAttempt records a provider call for a message, as the send activity
// does, and returns its ID.
func sendAttempt(t *testing.T, id, channel, provider string, attempt int, o notifications.Outcome) {
	t.Helper()
	a, err := store.StartAttempt(ctx, notifications.NewAttempt{NotificationID: id, Channel: channel, Provider: provider,
		IdempotencyKey: id + ":" + channel, Attempt: attempt})
	require.NoError(t, err)
	require.NoError(t, store.FinishAttempt(ctx, a, o))
}

func TestSaveWritesEachSendAndFailureOnce(t *testing.T) {
	in := input("n-ev-save") // SMS, then email
	at := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	pending := notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusPending, Round: 1, UpdatedAt: at}
	require.NoError(t, store.Save(ctx, in, pending))
	assert.Empty(t, outboxOf(t, in.NotificationID), "a pending message has nothing to report")

	sendAttempt(t, in.NotificationID, "sms", "twilio", 1, notifications.Outcome{StatusCode: 400, Permanent: true,
		Error: "twilio: permanent error 400 (code 21211): The 'To' number +15005550006 is not a valid phone number"})
	sendAttempt(t, in.NotificationID, "email", "sendgrid", 1, notifications.Outcome{StatusCode: 503, Error: "sendgrid: transient error 503"})
	sendAttempt(t, in.NotificationID, "email", "sendgrid", 2, notifications.Outcome{StatusCode: 202, ProviderMessageID: "SG-save"})
	sent := notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusSent, Round: 1,
		Channel: "email", Provider: "sendgrid", ProviderMessageID: "SG-save", UpdatedAt: at.Add(time.Second),
		Failures: map[string]string{"sms": "twilio: permanent error 400 (code 21211): The 'To' number +15005550006 is not a valid phone number",
			"push": "no address for this channel"}}
	require.NoError(t, store.Save(ctx, in, sent))
	require.NoError(t, store.Save(ctx, in, sent), "a retried bookkeeping activity")

	evs := outboxOf(t, in.NotificationID)
	require.Equal(t, []string{notifications.EventFailed, notifications.EventSent}, types(evs),
		"push had no address: not tried, not reported")
	failed, sentEv := evs[0], evs[1]
	assert.Equal(t, "notification-n-ev-save/sms/failed/1", failed.EventID)
	assert.Equal(t, notifications.EventData{NotificationID: in.NotificationID, OrderID: in.OrderID, Kind: in.Kind, Channel: "sms",
		Provider: "twilio", Attempt: 1, Round: 1,
		Reason: "twilio: permanent error 400 (code 21211): The 'To' number [redacted] is not a valid phone number"}, failed.Data)
	assert.Equal(t, "n-ev-save/email/sent", sentEv.EventID)
	assert.Equal(t, notifications.EventData{NotificationID: in.NotificationID, OrderID: in.OrderID, Kind: in.Kind, Channel: "email",
		Provider: "sendgrid", ProviderMessageID: "SG-save", Attempt: 2, Round: 1}, sentEv.Data)

	// A manual retry's round reports its failures again.
	retry := notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusFailed, Round: 2, UpdatedAt: at.Add(time.Hour),
		Failures: map[string]string{"sms": "retry budget exhausted: twilio: transient error 503"}}
	require.NoError(t, store.Save(ctx, in, retry))
	evs = outboxOf(t, in.NotificationID)
	require.Len(t, evs, 3)
	assert.Equal(t, "notification-n-ev-save/sms/failed/2", evs[2].EventID)
}

// bounceSetup records a message sent by email (the customer's first
// channel, SMS their second) and returns its input.
func bounceSetup(t *testing.T, id, messageID string) notifications.Input {
	t.Helper()
	in := input(id)
	in.Channels = []string{notifications.ChannelEmail, notifications.ChannelSMS}
	sendAttempt(t, id, "email", "sendgrid", 1, notifications.Outcome{StatusCode: 202, ProviderMessageID: messageID})
	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: id, Status: notifications.StatusSent, Round: 1,
		Channel: "email", Provider: "sendgrid", ProviderMessageID: messageID, UpdatedAt: time.Now()}))
	return in
}

func bounce(t *testing.T, eventID, messageID string) notifications.Recorded {
	t.Helper()
	rec, err := store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "sendgrid", EventID: eventID,
		ProviderMessageID: messageID, Event: "bounce", Detail: "550 5.1.1 <a@example.com>: Recipient address rejected",
		OccurredAt: time.Now().UTC().Truncate(time.Second)})
	require.NoError(t, err)
	return rec
}

func TestLateBounceMovesTheMessageOnOnce(t *testing.T) {
	in := bounceSetup(t, "n-ev-bounce", "SG-bounce")

	rec := bounce(t, "ev-bounce-1", "SG-bounce")
	assert.True(t, rec.Added)
	require.NotNil(t, rec.Fallback)
	next := rec.Fallback.Input
	assert.Equal(t, "email", next.After)
	assert.Equal(t, "notification-n-ev-bounce-after-email", next.WorkflowID())
	assert.Equal(t, []string{"sms"}, next.Channels)
	assert.Equal(t, in.Phone, next.Phone, "the follow-up has the message's addresses")
	assert.Equal(t, "SG-bounce", rec.Fallback.ProviderMessageID)

	// The callback again, before the follow-up was known to start (the
	// start failed, and the provider retries): it is returned again.
	again := bounce(t, "ev-bounce-1", "SG-bounce")
	assert.False(t, again.Added)
	require.NotNil(t, again.Fallback, "a follow-up not known to be started is started again")
	assert.Equal(t, next.WorkflowID(), again.Fallback.Input.WorkflowID())

	require.NoError(t, store.FallbackStarted(ctx, *rec.Fallback))
	assert.Nil(t, bounce(t, "ev-bounce-1", "SG-bounce").Fallback, "started: a repeat moves nothing")
	assert.Nil(t, bounce(t, "ev-bounce-2", "SG-bounce").Fallback, "nor another event of the same bounce")

	evs := outboxOf(t, in.NotificationID)
	require.Equal(t, []string{notifications.EventSent, notifications.EventBounced}, types(evs), "one bounced event for every callback")
	b := evs[1]
	assert.Equal(t, "sendgrid/SG-bounce/bounced", b.EventID)
	assert.Equal(t, notifications.EventData{NotificationID: in.NotificationID, OrderID: in.OrderID, Kind: in.Kind, Channel: "email",
		Provider: "sendgrid", ProviderMessageID: "SG-bounce", Attempt: 1, ProviderEvent: "bounce",
		Reason: "550 5.1.1 <[redacted]>: Recipient address rejected"}, b.Data)

	// The follow-up sends the SMS, which reports it in the same notification.
	sendAttempt(t, in.NotificationID, "sms", "twilio", 1, notifications.Outcome{StatusCode: 201, ProviderMessageID: "SM-bounce"})
	require.NoError(t, store.Save(ctx, next, notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusSent,
		Round: 1, Channel: "sms", Provider: "twilio", ProviderMessageID: "SM-bounce", UpdatedAt: time.Now()}))
	n, err := store.Get(ctx, in.NotificationID)
	require.NoError(t, err)
	assert.Equal(t, "sms", n.Channel)
	assert.Equal(t, "notification-n-ev-bounce-after-email", n.WorkflowID, "a retry goes to the follow-up")
	assert.Equal(t, []string{notifications.EventSent, notifications.EventBounced, notifications.EventSent}, types(outboxOf(t, in.NotificationID)))
}

func TestBounceMovesNothingTooLateOrWithNoChannelLeft(t *testing.T) {
	bounceSetup(t, "n-ev-late", "SG-late")
	_, err := db.Exec(ctx, `UPDATE notifications.attempts SET finished_at = now() - $2::interval
		WHERE notification_id = $1`, "n-ev-late", (notifications.LateBounceWindow + time.Hour).String())
	require.NoError(t, err)
	rec := bounce(t, "ev-late", "SG-late")
	assert.True(t, rec.Added)
	assert.Nil(t, rec.Fallback, "a bounce a day late moves nothing")
	assert.Equal(t, []string{notifications.EventSent, notifications.EventBounced}, types(outboxOf(t, "n-ev-late")), "but it is reported")

	in := bounceSetup(t, "n-ev-last", "SG-last")
	in.Channels = []string{notifications.ChannelEmail, notifications.ChannelPush} // no device token
	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusSent, Round: 1,
		Channel: "email", Provider: "sendgrid", ProviderMessageID: "SG-last", UpdatedAt: time.Now()}))
	assert.Nil(t, bounce(t, "ev-last", "SG-last").Fallback, "no channel with an address after email")

	unknown := bounce(t, "ev-unknown", "SG-not-ours")
	assert.True(t, unknown.Added)
	assert.Nil(t, unknown.Fallback)
}

func TestDeliveryIsReportedOnceAndAsyncBouncesStillCount(t *testing.T) {
	in := bounceSetup(t, "n-ev-delivered", "SG-delivered")
	for _, e := range []struct{ id, event string }{{"d-1", "processed"}, {"d-2", "delivered"}, {"d-3", "open"}, {"d-2", "delivered"}} {
		_, err := store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "sendgrid", EventID: e.id,
			ProviderMessageID: "SG-delivered", Event: e.event, OccurredAt: time.Now()})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{notifications.EventSent, notifications.EventDelivered}, types(outboxOf(t, in.NotificationID)))
	rec := bounce(t, "d-4", "SG-delivered")
	assert.NotNil(t, rec.Fallback, "an asynchronous bounce after 'delivered' still moves the message on")
	assert.Equal(t, []string{notifications.EventSent, notifications.EventDelivered, notifications.EventBounced}, types(outboxOf(t, in.NotificationID)))

	// Twilio's failed status is a failed event.
	sendAttempt(t, "n-ev-twilio", "sms", "twilio", 1, notifications.Outcome{StatusCode: 201, ProviderMessageID: "SM-failed"})
	tw := input("n-ev-twilio")
	require.NoError(t, store.Save(ctx, tw, notifications.State{NotificationID: tw.NotificationID, Status: notifications.StatusSent, Round: 1,
		Channel: "sms", Provider: "twilio", ProviderMessageID: "SM-failed", UpdatedAt: time.Now()}))
	rec, err := store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "twilio", EventID: "SM-failed/undelivered",
		ProviderMessageID: "SM-failed", Event: "undelivered", Detail: "30003", OccurredAt: time.Now()})
	require.NoError(t, err)
	require.NotNil(t, rec.Fallback, "SMS, then email")
	assert.Equal(t, []string{"email"}, rec.Fallback.Input.Channels)
	evs := outboxOf(t, tw.NotificationID)
	require.Equal(t, []string{notifications.EventSent, notifications.EventFailed}, types(evs))
	assert.Equal(t, "30003", evs[1].Data.Reason)
	assert.Equal(t, "undelivered", evs[1].Data.ProviderEvent)
}

func TestConcurrentBouncesMoveTheMessageOnOnce(t *testing.T) {
	in := bounceSetup(t, "n-ev-race", "SG-race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fallbacks, added int
	for i := range 8 {
		wg.Go(func() {
			rec, err := store.RecordDeliveryEvent(context.Background(), notifications.DeliveryEvent{Provider: "sendgrid",
				EventID: "race-" + string(rune('a'+i%2)), ProviderMessageID: "SG-race", Event: "bounce", OccurredAt: time.Now()})
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			if rec.Added {
				added++
			}
			if rec.Fallback != nil {
				fallbacks++
				assert.NoError(t, store.FallbackStarted(context.Background(), *rec.Fallback))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 2, added, "two distinct events")
	assert.GreaterOrEqual(t, fallbacks, 1)
	var rows int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM notifications.fallbacks WHERE notification_id = $1`, in.NotificationID).Scan(&rows))
	assert.Equal(t, 1, rows)
	assert.Equal(t, []string{notifications.EventSent, notifications.EventBounced}, types(outboxOf(t, in.NotificationID)))
}

// capture is a BatchPublisher that keeps what it is given.
type capture struct{ msgs []events.Message }

func (c *capture) PublishBatch(_ context.Context, topic string, msgs []events.Message) error {
	if topic != events.NotificationsTopic {
		panic(topic)
	}
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func TestRelayPublishesCloudEventsKeyedByNotification(t *testing.T) {
	in := bounceSetup(t, "n-ev-relay", "SG-relay")
	bounce(t, "ev-relay", "SG-relay")
	pub := &capture{}
	relay := store.Relay(pub, slog.New(slog.DiscardHandler))
	for {
		n, err := relay.PublishBatch(ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	var mine []events.Message
	for _, m := range pub.msgs {
		if m.Key == in.NotificationID {
			mine = append(mine, m)
		}
	}
	require.Len(t, mine, 2)
	ev := mine[1].Event
	assert.Equal(t, notifications.EventBounced, ev.Type)
	assert.Equal(t, "sendgrid/SG-relay/bounced", ev.ID)
	assert.Equal(t, "/orderflow/notifications", ev.Source)
	assert.Equal(t, in.NotificationID, ev.Subject)
	assert.NotContains(t, string(ev.Data), in.Email, "no address on the topic")
	assert.NotContains(t, string(mine[0].Event.Data), in.Body)
	assert.Empty(t, outboxOf(t, in.NotificationID), "published events leave the outbox")
}

// A provider can report a message delivered before the worker has recorded
// that the provider accepted it: the event waits for the send, and is
// written once.
func TestACallbackBeforeTheSendIsRecordedIsReportedWithIt(t *testing.T) {
	in := input("n-ev-early")
	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: in.NotificationID, Status: notifications.StatusPending, Round: 1, UpdatedAt: time.Now()}))
	a, err := store.StartAttempt(ctx, notifications.NewAttempt{NotificationID: in.NotificationID, Channel: "email", Provider: "sendgrid",
		IdempotencyKey: in.NotificationID + ":email", Attempt: 1})
	require.NoError(t, err)

	rec, err := store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "sendgrid", EventID: "SG-early/delivered",
		ProviderMessageID: "SG-early", Event: "delivered", OccurredAt: time.Now().UTC().Truncate(time.Second)})
	require.NoError(t, err)
	require.True(t, rec.Added)
	assert.Empty(t, outboxOf(t, in.NotificationID), "no send is recorded yet to name the message")

	require.NoError(t, store.FinishAttempt(ctx, a, notifications.Outcome{StatusCode: 202, ProviderMessageID: "SG-early"}))
	require.NoError(t, store.FinishAttempt(ctx, a, notifications.Outcome{StatusCode: 202, ProviderMessageID: "SG-early"}), "recorded twice")
	evs := outboxOf(t, in.NotificationID)
	require.Equal(t, []string{notifications.EventDelivered}, types(evs))
	assert.Equal(t, "email", evs[0].Data.Channel)
	assert.Equal(t, "SG-early", evs[0].Data.ProviderMessageID)
}
