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

const (
	accountSID = "AC00000000000000000000000000000001"
	authToken  = "token0001"
)

var shipped = providers.SMS{
	To:             "+15005550006",
	From:           "+15005550000",
	Body:           "Your order has shipped.",
	IdempotencyKey: "order-1/shipped",
	StatusCallback: "http://localhost:8080/webhooks/twilio",
}

func newTwilio(t *testing.T, token, url string) *providers.Twilio {
	t.Helper()
	tw, err := providers.NewTwilio(accountSID, token, url, nil)
	require.NoError(t, err)
	return tw
}

func TestTwilioSend(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{TwilioAuthToken: authToken})
	tw := newTwilio(t, authToken, url)

	receipt, err := tw.Send(context.Background(), shipped)
	require.NoError(t, err)
	assert.Regexp(t, `^SM[0-9a-f]{32}$`, receipt.MessageID)
	assert.Equal(t, 201, receipt.Status)

	viaService := shipped
	viaService.From = "MG00000000000000000000000000000001"
	_, err = tw.Send(context.Background(), viaService)
	require.NoError(t, err)

	msgs := sb.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, sandbox.Message{
		Provider:       sandbox.ProviderTwilio,
		ID:             receipt.MessageID,
		To:             shipped.To,
		From:           shipped.From,
		Body:           shipped.Body,
		IdempotencyKey: shipped.IdempotencyKey,
		StatusCallback: shipped.StatusCallback,
		Time:           msgs[0].Time,
	}, msgs[0])
	assert.Equal(t, viaService.From, msgs[1].From)
}

func TestTwilioRefusalsArePermanent(t *testing.T) {
	_, url := startSandbox(t, sandbox.Options{TwilioAuthToken: authToken})
	tests := []struct {
		name  string
		token string
		to    string
		code  int
	}{
		{"invalid number", authToken, "+15005550001", 21211},
		{"cannot route", authToken, "+15005550002", 21612},
		{"no international permission", authToken, "+15005550003", 21408},
		{"unsubscribed", authToken, "+15005550004", 21610},
		{"not a mobile number", authToken, "+15005550009", 21614},
		{"malformed number", authToken, "555-0100", 21211},
		{"wrong auth token", "wrongtoken", "+15005550006", 20003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sms := shipped
			sms.To = tt.to
			_, err := newTwilio(t, tt.token, url).Send(context.Background(), sms)
			var permanent *providers.PermanentError
			require.ErrorAs(t, err, &permanent)
			assert.True(t, providers.IsPermanent(err))
			assert.Equal(t, tt.code, permanent.Code)
		})
	}
}

func TestTwilioFaultsAreTransient(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	tw := newTwilio(t, authToken, url)

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 503, Times: 3})
	for range 3 {
		_, err := tw.Send(context.Background(), shipped)
		var transient *providers.TransientError
		require.ErrorAs(t, err, &transient)
		assert.Equal(t, 503, transient.Status)
		assert.False(t, providers.IsPermanent(err))
		wait, ok := providers.RetryAfter(err)
		assert.True(t, ok)
		assert.Equal(t, time.Second, wait)
	}
	_, err := tw.Send(context.Background(), shipped)
	require.NoError(t, err, "the fault was for three calls")

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderTwilio, Down: true})
	_, err = tw.Send(context.Background(), shipped)
	require.Error(t, err)
	assert.False(t, providers.IsPermanent(err))
	sb.ClearFaults()

	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderTwilio, LatencyMS: 2000})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = tw.Send(ctx, shipped)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
	assert.False(t, providers.IsPermanent(err))
	assert.Less(t, time.Since(start), 2*time.Second)

	assert.Len(t, sb.Messages(), 1)
	assert.Equal(t, 6, sb.Stats()[sandbox.ProviderTwilio])
}

func TestNewTwilioRejectsRelativeBaseURL(t *testing.T) {
	_, err := providers.NewTwilio(accountSID, authToken, "localhost:4010", nil)
	require.Error(t, err)
}
