package activities

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/devtools/testdb"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/breaker"
)

func TestDeliveryErrorTellsTemporalWhatToDo(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		errType   string
		retryable bool
		wait      time.Duration
	}{
		{"invalid number", &providers.PermanentError{Provider: "twilio", Status: 400, Code: 21211, Message: "invalid"},
			ErrPermanentDelivery, false, 0},
		{"rate limited, with Retry-After", &providers.TransientError{Provider: "sendgrid", Status: 429, RetryAfter: 7 * time.Second},
			ErrTransientDelivery, true, 7 * time.Second},
		{"outage, backoff decides", &providers.TransientError{Provider: "twilio", Status: 503},
			ErrTransientDelivery, true, 0},
		{"no answer", &providers.TransientError{Provider: "push", Err: errors.New("connection refused")},
			ErrTransientDelivery, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, deliveryError(tt.err, tt.err.Error()), &appErr)
			assert.Equal(t, tt.errType, appErr.Type())
			assert.Equal(t, !tt.retryable, appErr.NonRetryable())
			assert.Equal(t, tt.wait, appErr.NextRetryDelay())
			assert.Equal(t, tt.err.Error(), appErr.Message())
		})
	}
}

// deliveryFixture runs the send activities against a real PostgreSQL and
// Redis and the provider sandbox.
type deliveryFixture struct {
	acts    *NotificationActivities
	sandbox *sandbox.Sandbox
	store   *notifications.Store
}

func newDeliveryFixture(t *testing.T, s breaker.Settings) *deliveryFixture {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	pool, stop, err := testdb.Start(ctx, t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(stop)
	rd, err := devstack.StartRedis(ctx, devstack.RedisOptions{DataDir: t.TempDir(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rd.Stop(context.Background()) })
	rdb := redis.NewClient(&redis.Options{Addr: rd.Addr()})
	t.Cleanup(func() { rdb.Close() })

	sb := sandbox.New(sandbox.Options{Logger: quiet})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	sms, err := providers.NewTwilio("AC00000000000000000000000000000001", "token0001", srv.URL, nil)
	require.NoError(t, err)
	f := &deliveryFixture{sandbox: sb, store: notifications.NewStore(pool)}
	f.acts = &NotificationActivities{SMS: sms, SMSFrom: "+15005550006", Store: f.store, Breakers: breaker.NewSet(rdb, s, quiet)}
	return f
}

func (f *deliveryFixture) sendSMS(t *testing.T, key, to string) (SendResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(f.acts)
	req := SendSMSRequest{Delivery: Delivery{NotificationID: key, IdempotencyKey: key + ":sms"}, To: to, Body: "hi"}
	v, err := env.ExecuteActivity(f.acts.SendSMS, req)
	var res SendResult
	if err == nil {
		require.NoError(t, v.Get(&res))
	}
	return res, err
}

func (f *deliveryFixture) attempts(t *testing.T, notificationID string) []notifications.Attempt {
	t.Helper()
	require.NoError(t, f.store.Save(context.Background(), notifications.Input{NotificationID: notificationID},
		notifications.State{NotificationID: notificationID, Status: notifications.StatusPending, Round: 1}))
	n, err := f.store.Get(context.Background(), notificationID)
	require.NoError(t, err)
	return n.Attempts
}

func TestSendActivities(t *testing.T) {
	f := newDeliveryFixture(t, breaker.Settings{Failures: 2, OpenFor: time.Minute})

	t.Run("a key is sent once", func(t *testing.T) {
		first, err := f.sendSMS(t, "n-once", "+15005550006")
		require.NoError(t, err)
		again, err := f.sendSMS(t, "n-once", "+15005550006")
		require.NoError(t, err)
		assert.Equal(t, first, again)
		assert.Equal(t, providers.TwilioName, first.Provider)
		assert.Len(t, f.sandbox.Messages(), 1, "the retry found the message sent and did not send it again")
		assert.Len(t, f.attempts(t, "n-once"), 1)
	})

	t.Run("refusals do not open the breaker", func(t *testing.T) {
		for range 3 {
			_, err := f.sendSMS(t, "n-invalid", "+15005550001")
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, ErrPermanentDelivery, appErr.Type())
		}
		_, err := f.sendSMS(t, "n-after-refusals", "+15005550006")
		require.NoError(t, err)
	})

	t.Run("an open breaker makes calls wait", func(t *testing.T) {
		require.NoError(t, f.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderTwilio, Down: true}))
		defer f.sandbox.ClearFaults()
		for range 2 {
			_, err := f.sendSMS(t, "n-outage", "+15005550006")
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, ErrTransientDelivery, appErr.Type())
			assert.Equal(t, time.Second, appErr.NextRetryDelay(), "the sandbox's Retry-After")
		}
		calls := f.sandbox.Stats()[sandbox.ProviderTwilio]

		_, err := f.sendSMS(t, "n-outage", "+15005550006")
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		assert.Equal(t, ErrCircuitOpen, appErr.Type())
		assert.False(t, appErr.NonRetryable())
		assert.InDelta(t, time.Minute.Seconds(), appErr.NextRetryDelay().Seconds(), 2, "wait for the probe")
		assert.Equal(t, calls, f.sandbox.Stats()[sandbox.ProviderTwilio], "no call while open")
		assert.Len(t, f.attempts(t, "n-outage"), 2, "a call not made is not an attempt")
	})
}
