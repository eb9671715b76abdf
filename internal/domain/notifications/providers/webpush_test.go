package providers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
)

// subscribe makes a subscription at the sandbox, as a browser would with
// serverKey as its applicationServerKey ("" for none).
func subscribe(t *testing.T, url, serverKey string) sandbox.PushSubscription {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"application_server_key": serverKey})
	resp, err := http.Post(url+"/_sandbox/webpush/subscriptions", "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var sub sandbox.PushSubscription
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sub))
	return sub
}

func newWebPush(t *testing.T) (*providers.WebPush, string) {
	t.Helper()
	public, private := config.NewVAPIDKeys()
	w, err := providers.NewWebPush(public, private, "mailto:ops@example.com",
		safehttp.Options{Policy: safehttp.Policy{Allowed: safehttp.LoopbackNetworks()}})
	require.NoError(t, err)
	return w, public
}

func TestWebPushIsEncryptedForTheSubscription(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	w, public := newWebPush(t)
	sub := subscribe(t, url, public)

	receipt, err := w.Send(context.Background(), providers.Subscription{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}, reminder)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, receipt.Status)
	assert.NotEmpty(t, receipt.MessageID)

	msgs := sb.Messages()
	require.Len(t, msgs, 1, "the sandbox decrypted it")
	assert.Equal(t, sandbox.ProviderPush, msgs[0].Provider)
	assert.Equal(t, sub.Endpoint, msgs[0].To)
	assert.Equal(t, reminder.Title, msgs[0].Subject)
	assert.Equal(t, reminder.Body, msgs[0].Body)
	assert.Equal(t, reminder.Data, msgs[0].CustomArgs)
	assert.Equal(t, "86400", msgs[0].Headers["TTL"])

	// Another attempt at the same message has the same Topic, which a push
	// service holding the first for an offline browser replaces it with.
	_, err = w.Send(context.Background(), providers.Subscription{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}, reminder)
	require.NoError(t, err)
	msgs = sb.Messages()
	require.Len(t, msgs, 2)
	assert.Len(t, msgs[0].Headers["Topic"], 32, "RFC 8030: at most 32 base64url characters")
	assert.Equal(t, msgs[0].Headers["Topic"], msgs[1].Headers["Topic"])
}

func TestWebPushRefusalsArePermanent(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	w, public := newWebPush(t)
	send := func(sub sandbox.PushSubscription) error {
		_, err := w.Send(context.Background(), providers.Subscription{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}, reminder)
		return err
	}

	gone := subscribe(t, url, public)
	req, _ := http.NewRequest(http.MethodDelete, url+"/_sandbox/webpush/subscriptions/"+gone.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	unknown := subscribe(t, url, public)
	unknown.Endpoint += "-unknown"
	otherKey := subscribe(t, url, "")
	otherKey.Keys.Auth = subscribe(t, url, "").Keys.Auth // keys it was not made with
	otherServer, _ := config.NewVAPIDKeys()
	boundElsewhere := subscribe(t, url, otherServer)

	for name, tt := range map[string]struct {
		sub    sandbox.PushSubscription
		status int
	}{
		"unsubscribed":             {gone, http.StatusGone},
		"unknown":                  {unknown, http.StatusNotFound},
		"encrypted for other keys": {otherKey, http.StatusBadRequest},
		"another server's":         {boundElsewhere, http.StatusForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			err := send(tt.sub)
			require.True(t, providers.IsPermanent(err), "%v", err)
			assert.Equal(t, tt.status, providers.StatusOf(err))
			assert.NotContains(t, err.Error(), tt.sub.Endpoint, "endpoints stay out of errors, which are logged")
		})
	}
	assert.Empty(t, sb.Messages())

	t.Run("a private address", func(t *testing.T) {
		public, private := config.NewVAPIDKeys()
		strict, err := providers.NewWebPush(public, private, "mailto:ops@example.com", safehttp.Options{})
		require.NoError(t, err)
		sub := subscribe(t, url, "")
		_, err = strict.Send(context.Background(), providers.Subscription{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}, reminder)
		require.True(t, providers.IsPermanent(err), "%v", err)
		assert.Contains(t, err.Error(), providers.WebhookAllowSetting)
		var refused *safehttp.RefusedError
		assert.ErrorAs(t, err, &refused, "the refusal is there for the caller to forget the device by")
	})
}

func TestWebPushOutagesAreTransient(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{})
	w, public := newWebPush(t)
	sub := subscribe(t, url, public)
	addFault(t, sb, sandbox.Fault{Provider: sandbox.ProviderPush, Status: http.StatusServiceUnavailable, Times: 1})
	_, err := w.Send(context.Background(), providers.Subscription{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}, reminder)
	require.Error(t, err)
	assert.False(t, providers.IsPermanent(err), "%v", err)
	assert.Equal(t, http.StatusServiceUnavailable, providers.StatusOf(err))
}

func TestWebPushNeedsAMatchingKeyPair(t *testing.T) {
	public, _ := config.NewVAPIDKeys()
	_, private := config.NewVAPIDKeys()
	_, err := providers.NewWebPush(public, private, "mailto:ops@example.com", safehttp.Options{})
	require.ErrorContains(t, err, "not the private half of VAPID_PUBLIC_KEY")
	assert.NotContains(t, err.Error(), private)
}
