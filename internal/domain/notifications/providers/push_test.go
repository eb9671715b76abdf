package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
)

var reminder = providers.PushMessage{
	Token:          "fcm-token-0001",
	Title:          "Order confirmed",
	Body:           "Your order is confirmed.",
	Data:           map[string]string{"order_id": "o-1"},
	IdempotencyKey: "o-1/push",
}

func TestPushSend(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	receipt, err := providers.NewPush("push-key", url, nil).Send(context.Background(), reminder)
	require.NoError(t, err)
	assert.Equal(t, 201, receipt.Status)

	msgs := sb.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, sandbox.ProviderPush, msgs[0].Provider)
	assert.Equal(t, receipt.MessageID, msgs[0].ID)
	assert.Equal(t, reminder.Token, msgs[0].To)
	assert.Equal(t, reminder.Title, msgs[0].Subject)
	assert.Equal(t, reminder.Body, msgs[0].Body)
	assert.Equal(t, reminder.Data, msgs[0].CustomArgs)
	assert.Equal(t, reminder.IdempotencyKey, msgs[0].IdempotencyKey)
}

func TestPushRefusalsArePermanent(t *testing.T) {
	_, url := startSandbox(t, sandbox.Options{})
	tests := []struct {
		name, key, token string
		status           int
	}{
		{"no API key", "", reminder.Token, 401},
		{"malformed token", "push-key", "x", 400},
		{"unregistered device", "push-key", sandbox.UnregisteredPushToken, 410},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reminder
			m.Token = tt.token
			_, err := providers.NewPush(tt.key, url, nil).Send(context.Background(), m)
			require.True(t, providers.IsPermanent(err), "%v", err)
			assert.Equal(t, tt.status, providers.StatusOf(err))
		})
	}
}

func TestPushFaultsAreTransient(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	push := providers.NewPush("push-key", url, nil)
	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderPush, Status: 503, Times: 1})
	_, err := push.Send(context.Background(), reminder)
	require.Error(t, err)
	assert.False(t, providers.IsPermanent(err))
	assert.Equal(t, 503, providers.StatusOf(err))
	wait, ok := providers.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, time.Second, wait)

	_, err = providers.NewPush("push-key", "http://127.0.0.1:1", nil).Send(context.Background(), reminder)
	require.Error(t, err, "connection refused")
	assert.False(t, providers.IsPermanent(err))
	assert.Zero(t, providers.StatusOf(err), "no answer, no status")
}
