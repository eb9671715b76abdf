package providers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
)

var welcome = providers.Email{
	To:             "ada@example.com",
	From:           "orders@orderflow.dev",
	Subject:        "Order confirmed",
	Text:           "Your order is confirmed.",
	HTML:           "<p>Your order is confirmed.</p>",
	IdempotencyKey: "order-1/confirmation",
}

func TestSendGridSend(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	sg := providers.NewSendGrid("SG.test", url, nil)

	receipt, err := sg.Send(context.Background(), welcome)
	require.NoError(t, err)
	require.NotEmpty(t, receipt.MessageID)
	assert.Equal(t, 202, receipt.Status)

	msgs := sb.Messages()
	require.Len(t, msgs, 1)
	got := msgs[0]
	assert.Equal(t, sandbox.ProviderSendGrid, got.Provider)
	assert.Equal(t, receipt.MessageID, got.ID)
	assert.Equal(t, welcome.To, got.To)
	assert.Equal(t, welcome.From, got.From)
	assert.Equal(t, welcome.Subject, got.Subject)
	assert.Equal(t, welcome.Text, got.Body)
	assert.Equal(t, welcome.IdempotencyKey, got.IdempotencyKey)
}

func TestSendGridRefusalsArePermanent(t *testing.T) {
	_, url := startSandbox(t, sandbox.Options{})
	badFrom := welcome
	badFrom.From = "not an address"
	noContent := welcome
	noContent.Text, noContent.HTML = "", ""

	tests := []struct {
		name    string
		apiKey  string
		email   providers.Email
		status  int
		message string
	}{
		{"no API key", "", welcome, 401, "authorization required"},
		{"invalid from", "SG.test", badFrom, 400, "from.email"},
		{"no content", "SG.test", noContent, 400, "content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := providers.NewSendGrid(tt.apiKey, url, nil).Send(context.Background(), tt.email)
			var permanent *providers.PermanentError
			require.ErrorAs(t, err, &permanent)
			assert.True(t, providers.IsPermanent(err))
			assert.Equal(t, tt.status, permanent.Status)
			assert.Contains(t, permanent.Message, tt.message)
		})
	}
}

func TestSendGridFaultsAreTransient(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	sg := providers.NewSendGrid("SG.test", url, nil)

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderSendGrid, Status: 429, Times: 1})
	_, err := sg.Send(context.Background(), welcome)
	require.Error(t, err)
	assert.False(t, providers.IsPermanent(err))
	wait, ok := providers.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, time.Second, wait)
	_, err = sg.Send(context.Background(), welcome)
	require.NoError(t, err, "the fault was for one call")

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderSendGrid, Down: true})
	_, err = sg.Send(context.Background(), welcome)
	var transient *providers.TransientError
	require.ErrorAs(t, err, &transient)
	assert.Equal(t, 503, transient.Status)
	sb.ClearFaults()

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderSendGrid, LatencyMS: 2000})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = sg.Send(ctx, welcome)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
	assert.False(t, providers.IsPermanent(err))

	assert.Len(t, sb.Messages(), 1)
	assert.Equal(t, 4, sb.Stats()[sandbox.ProviderSendGrid])
}
