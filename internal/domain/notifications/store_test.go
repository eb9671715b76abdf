package notifications_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/testdb"
	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// The store is tested against a real PostgreSQL, started once for the package.
var (
	store *notifications.Store
	db    *pgxpool.Pool
)

func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, "notifications", 0, func(_ context.Context, _ string, pool *pgxpool.Pool) (func(), error) {
		store, db = notifications.NewStore(pool), pool
		return nil, nil
	}))
}

var ctx = context.Background()

func input(id string) notifications.Input {
	return notifications.Input{
		NotificationID: id, OrderID: "o-" + id, Kind: "order.completed", Urgent: true,
		Channels: []string{notifications.ChannelSMS, notifications.ChannelEmail}, Phone: "+15005550006", Email: "a@example.com",
		Subject: "s", Body: "b",
	}
}

func TestSaveKeepsTheLatestState(t *testing.T) {
	in := input("n-save")
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	until := created.Add(8 * time.Hour)
	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: in.NotificationID,
		Status: notifications.StatusScheduled, Round: 1, ScheduledFor: &until, UpdatedAt: created}))
	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: in.NotificationID,
		Status: notifications.StatusSent, Round: 1, Channel: notifications.ChannelSMS, Provider: "twilio", ProviderMessageID: "SM1",
		Failures: map[string]string{"push": "no address for this channel"}, UpdatedAt: created.Add(8 * time.Hour)}))

	n, err := store.Get(ctx, in.NotificationID)
	require.NoError(t, err)
	assert.Equal(t, notifications.StatusSent, n.Status)
	assert.Equal(t, "o-n-save", n.OrderID)
	assert.Equal(t, "SM1", n.ProviderMessageID)
	assert.Nil(t, n.ScheduledFor)
	assert.True(t, n.Urgent)
	assert.Equal(t, in.Channels, n.Channels)
	assert.Equal(t, in, n.Input, "kept for a retry")
	assert.Equal(t, map[string]string{"push": "no address for this channel"}, n.Failures)
	assert.True(t, n.CreatedAt.Equal(created), "created_at is the first write's")
	assert.Equal(t, "notification-n-save", n.WorkflowID)

	_, err = store.Get(ctx, "nope")
	assert.ErrorIs(t, err, notifications.ErrNotFound)
}

func TestAttemptsDeduplicateAndTellInterruptedCalls(t *testing.T) {
	const key = "n-att:sms"
	_, sent, err := store.SentMessageID(ctx, key)
	require.NoError(t, err)
	require.False(t, sent)

	a := notifications.NewAttempt{NotificationID: "n-att", Channel: "sms", Provider: "twilio", IdempotencyKey: key, Attempt: 1}
	first, err := store.StartAttempt(ctx, a)
	require.NoError(t, err)
	require.NoError(t, store.FinishAttempt(ctx, first, notifications.Outcome{StatusCode: 503, Error: "twilio: transient error 503"}))
	a.Attempt = 2
	_, err = store.StartAttempt(ctx, a) // its worker dies mid-call
	require.NoError(t, err)
	a.Attempt = 3
	third, err := store.StartAttempt(ctx, a)
	require.NoError(t, err)
	require.NoError(t, store.FinishAttempt(ctx, third, notifications.Outcome{StatusCode: 201, ProviderMessageID: "SM9"}))

	id, sent, err := store.SentMessageID(ctx, key)
	require.NoError(t, err)
	assert.True(t, sent)
	assert.Equal(t, "SM9", id)

	require.NoError(t, store.Save(ctx, input("n-att"), notifications.State{NotificationID: "n-att", Status: "sent", Round: 1}))
	n, err := store.Get(ctx, "n-att")
	require.NoError(t, err)
	require.Len(t, n.Attempts, 3)
	assert.Equal(t, []string{notifications.AttemptFailed, notifications.AttemptInterrupted, notifications.AttemptSent},
		[]string{n.Attempts[0].Status, n.Attempts[1].Status, n.Attempts[2].Status})
	assert.Equal(t, 503, *n.Attempts[0].StatusCode)
	assert.Nil(t, n.Attempts[1].StatusCode, "no answer came")
	assert.Contains(t, n.Attempts[1].Error, "may or may not")
	assert.Equal(t, 3, n.Attempts[2].Attempt)
}

func TestDeliveryStateIsTheMostTellingEvent(t *testing.T) {
	in := input("n-events")
	// Events may come before the send is recorded, and out of order.
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, e := range []notifications.DeliveryEvent{
		{Provider: "twilio", EventID: "SM7/delivered", ProviderMessageID: "SM7", Event: "delivered", OccurredAt: at.Add(2 * time.Second)},
		{Provider: "twilio", EventID: "SM7/sent", ProviderMessageID: "SM7", Event: "sent", OccurredAt: at.Add(3 * time.Second)},
		{Provider: "sendgrid", EventID: "ev-1", ProviderMessageID: "SM7", Event: "bounce", OccurredAt: at}, // another provider's ID space
	} {
		rec, err := store.RecordDeliveryEvent(ctx, e)
		require.NoError(t, err, "event %d", i)
		assert.True(t, rec.Added)
	}
	rec, err := store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "twilio", EventID: "SM7/sent",
		ProviderMessageID: "SM7", Event: "sent", OccurredAt: at.Add(time.Hour)})
	require.NoError(t, err)
	assert.False(t, rec.Added, "a repeated callback is ignored")

	require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: in.NotificationID,
		Status: notifications.StatusSent, Round: 1, Channel: "sms", Provider: "twilio", ProviderMessageID: "SM7"}))
	n, err := store.Get(ctx, in.NotificationID)
	require.NoError(t, err)
	require.NotNil(t, n.Delivery)
	assert.Equal(t, notifications.DeliveryDelivered, n.Delivery.State, "a late 'sent' does not hide 'delivered'")
	assert.Equal(t, "delivered", n.Delivery.Event)

	_, err = store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "twilio", EventID: "SM7/undelivered",
		ProviderMessageID: "SM7", Event: "undelivered", Detail: "30003", OccurredAt: at.Add(time.Minute)})
	require.NoError(t, err)
	n, err = store.Get(ctx, in.NotificationID)
	require.NoError(t, err)
	assert.Equal(t, notifications.DeliveryUndelivered, n.Delivery.State)
	assert.Equal(t, "30003", n.Delivery.Detail)

	_, err = store.RecordDeliveryEvent(ctx, notifications.DeliveryEvent{Provider: "sendgrid", EventID: "ev-2",
		ProviderMessageID: "X1", Event: "spamreport", OccurredAt: at})
	require.NoError(t, err, "events that say nothing of delivery are kept")
}

func TestListIsNewestFirstByOrderOrStatus(t *testing.T) {
	base := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"o-list-completed", "o-list-failed", "o-list-later"} {
		in := input(id)
		in.OrderID = "o-list"
		status := notifications.StatusSent
		if i == 1 {
			status = notifications.StatusFailed
		}
		require.NoError(t, store.Save(ctx, in, notifications.State{NotificationID: id, Status: status, Round: 1,
			UpdatedAt: base.Add(time.Duration(i) * time.Minute)}))
	}
	page, err := store.List(ctx, notifications.ListFilter{OrderID: "o-list", Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	ids := []string{page.Items[0].ID, page.Items[1].ID}
	assert.Empty(t, page.Items[0].Attempts)
	require.NotEmpty(t, page.NextCursor)
	rest, err := store.List(ctx, notifications.ListFilter{OrderID: "o-list", Limit: 2, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Len(t, rest.Items, 1)
	assert.Empty(t, rest.NextCursor)
	assert.NotContains(t, ids, rest.Items[0].ID, "no message on two pages")
	assert.False(t, rest.Items[0].CreatedAt.After(page.Items[1].CreatedAt), "newest first")

	failed, err := store.List(ctx, notifications.ListFilter{OrderID: "o-list", Status: notifications.StatusFailed, Limit: 10})
	require.NoError(t, err)
	require.Len(t, failed.Items, 1)
	assert.Equal(t, "o-list-failed", failed.Items[0].ID)
	none, err := store.List(ctx, notifications.ListFilter{OrderID: "o-none", Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, none.Items)
	_, err = store.List(ctx, notifications.ListFilter{Limit: 10, Cursor: "garbage"})
	require.ErrorIs(t, err, notifications.ErrBadCursor)
}
