package webhooks_test

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// codec seals the secrets, as PAYLOAD_ENCRYPTION_KEYS does.
var codec, _ = payloadcrypt.New("test:" + base64.StdEncoding.EncodeToString(make([]byte, payloadcrypt.KeySize)))

func newStore() *webhooks.Store { return webhooks.NewStore(testPool, codec) }

func newEndpoint(t *testing.T, types ...string) webhooks.Endpoint {
	t.Helper()
	e, err := newStore().CreateEndpoint(context.Background(),
		webhooks.Endpoint{URL: "https://erp.example.com/" + uuid.NewString(), EventTypes: types})
	require.NoError(t, err)
	t.Cleanup(func() { _ = newStore().DeleteEndpoint(context.Background(), e.ID) })
	return e
}

func TestAnEndpointIsMadeWithASecretOfItsOwn(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	a, b := newEndpoint(t, "order.completed"), newEndpoint(t, "order.*")
	require.NoError(t, webhooksign.CheckSecret(a.Secret))
	assert.NotEqual(t, a.Secret, b.Secret)
	assert.True(t, a.Enabled)

	got, err := s.Endpoint(ctx, a.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Secret, "opened only where it is used")
	var stored string
	require.NoError(t, testPool.QueryRow(ctx, `SELECT secret FROM notifications.webhook_endpoints WHERE id = $1`, a.ID).Scan(&stored))
	assert.NotContains(t, stored, a.Secret[len("whsec_"):], "sealed in the table")
	opened, err := codec.Open(stored)
	require.NoError(t, err)
	assert.Equal(t, a.Secret, opened)
	_, err = s.Endpoint(ctx, "not-a-uuid")
	assert.ErrorIs(t, err, webhooks.ErrEndpointNotFound)
	assert.ErrorIs(t, s.DeleteEndpoint(ctx, uuid.NewString()), webhooks.ErrEndpointNotFound)
}

func TestFanOutRecordsOneDeliveryPerEndpointAndEventUnderRepeats(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	exact, group, other := newEndpoint(t, "order.completed"), newEndpoint(t, "order.*"), newEndpoint(t, "inventory.*")
	ev := events.CloudEvent{ID: "order-" + uuid.NewString(), Type: "order.completed", Subject: "o-1", Time: time.Now()}

	// Kafka delivers at least once, and two workers may both get it.
	var mu sync.Mutex
	started := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.FanOut(ctx, ev, []byte(`{}`), func(_ context.Context, id string) error {
				mu.Lock()
				defer mu.Unlock()
				started[id]++
				return nil
			}))
		}()
	}
	wg.Wait()
	require.Len(t, started, 2, "one delivery each for the exact and the group subscription: %v", started)
	for _, e := range []webhooks.Endpoint{exact, group} {
		list, err := s.Deliveries(ctx, e.ID, 10)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, ev.ID, list[0].EventID)
		assert.Contains(t, started, list[0].ID)
	}
	list, err := s.Deliveries(ctx, other.ID, 10)
	require.NoError(t, err)
	assert.Empty(t, list)

	// An event from before an endpoint existed does not go to it.
	late := newEndpoint(t, "order.completed")
	old := events.CloudEvent{ID: "order-" + uuid.NewString(), Type: "order.completed", Time: late.CreatedAt.Add(-time.Minute)}
	require.NoError(t, s.FanOut(ctx, old, []byte(`{}`), func(context.Context, string) error { return nil }))
	list, err = s.Deliveries(ctx, late.ID, 10)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func TestAnEndpointFailingForTooLongIsDisabledOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	e := newEndpoint(t, "order.completed")
	id, err := s.AddDelivery(ctx, e.ID, "ev-"+uuid.NewString(), "order.completed", []byte(`{}`))
	require.NoError(t, err)
	const after = 5 * 24 * time.Hour
	t0 := time.Now().Add(-10 * 24 * time.Hour)
	fail := func(at time.Time) bool {
		t.Helper()
		disabled, err := s.RecordAttempt(ctx, id, webhooks.Attempt{StartedAt: at, ResponseStatus: 503, Error: "HTTP 503"}, after)
		require.NoError(t, err)
		return disabled
	}

	assert.False(t, fail(t0))
	assert.False(t, fail(t0.Add(after-time.Minute)), "not yet")
	got, _ := s.Endpoint(ctx, e.ID)
	require.NotNil(t, got.FailingSince)
	assert.WithinDuration(t, t0, *got.FailingSince, time.Millisecond, "the clock runs from the first failure")

	// A success stops the clock: the next failure starts it afresh.
	_, err = s.RecordAttempt(ctx, id, webhooks.Attempt{StartedAt: t0.Add(after - time.Second), ResponseStatus: 200}, after)
	require.NoError(t, err)
	got, _ = s.Endpoint(ctx, e.ID)
	assert.Nil(t, got.FailingSince)
	t1 := t0.Add(after)
	assert.False(t, fail(t1))
	assert.True(t, fail(t1.Add(after)), "disabled once it has failed for the whole period")
	assert.False(t, fail(t1.Add(after+time.Minute)), "once: it is disabled already")
	got, _ = s.Endpoint(ctx, e.ID)
	assert.False(t, got.Enabled)
	assert.Contains(t, got.DisabledReason, "HTTP 503")

	_, attempts, err := s.Delivery(ctx, e.ID, id)
	require.NoError(t, err)
	require.Len(t, attempts, 6, "every attempt is in the log")
	for i, a := range attempts {
		assert.Equal(t, i+1, a.Attempt)
	}

	// Enabled again by an admin: the clock and the reason are reset.
	on := true
	got, err = s.UpdateEndpoint(ctx, e.ID, webhooks.EndpointPatch{Enabled: &on})
	require.NoError(t, err)
	assert.True(t, got.Enabled)
	assert.Empty(t, got.DisabledReason)
	assert.Nil(t, got.FailingSince)
}

func TestARotationSignsWithBothSecretsForADay(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	e := newEndpoint(t, "order.completed")
	rotated, err := s.RotateSecret(ctx, e.ID)
	require.NoError(t, err)
	require.NotEqual(t, e.Secret, rotated.Secret)
	now := time.Now()
	assert.Equal(t, []string{rotated.Secret, e.Secret}, rotated.Secrets(now))
	assert.Equal(t, []string{rotated.Secret}, rotated.Secrets(now.Add(webhooks.RotationOverlap+time.Minute)))
}

func TestEventTypesComeFromThePublishers(t *testing.T) {
	types := webhooks.EventTypes()
	for _, want := range []string{"order.completed", "order.cancelled", "order.refunded", "inventory.committed", "notification.bounced"} {
		assert.Contains(t, types, want)
	}
	assert.NoError(t, webhooks.CheckEventType("order.*"))
	assert.NoError(t, webhooks.CheckEventType("notification.failed"))
	assert.Error(t, webhooks.CheckEventType("shipment.*"))
	assert.Error(t, webhooks.CheckEventType("order"))
	assert.True(t, webhooks.Subscribed([]string{"inventory.*"}, "inventory.reserved"))
	assert.False(t, webhooks.Subscribed([]string{"order.*"}, "orders.completed"))
}
