package providers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

var webhookSecret = webhooksign.NewSecret()

// loopback allows the test receivers, httptest servers on 127.0.0.1, which
// a webhook sender refuses by default (TestWebhookRefusesPrivateTargets).
var loopback = safehttp.Options{Policy: safehttp.Policy{Allowed: safehttp.LoopbackNetworks()}}

func TestWebhookSendIsSignedAndVerified(t *testing.T) {
	sb, url := startSandbox(t, sandbox.Options{WebhookSigningSecret: webhookSecret})
	body := []byte(`{"id":"n-1","type":"order.completed"}`)

	receipt, err := providers.NewWebhook(webhookSecret, loopback).Send(context.Background(), url+"/hooks/acme", body, "n-1:webhook")
	require.NoError(t, err)
	assert.Equal(t, providers.Receipt{MessageID: "n-1:webhook", Status: 204}, receipt)
	msgs := sb.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "acme", msgs[0].To)
	assert.JSONEq(t, string(body), msgs[0].Body)
	assert.Equal(t, "n-1:webhook", msgs[0].IdempotencyKey, "the webhook-id is the delivery's idempotency key")
	assert.Equal(t, "n-1:webhook", msgs[0].Headers[webhooksign.IDHeader])
	assert.True(t, msgs[0].Verified)

	_, err = providers.NewWebhook(webhooksign.NewSecret(), loopback).Send(context.Background(), url+"/hooks/acme", body, "n-2:webhook")
	require.True(t, providers.IsPermanent(err), "a receiver refusing the signature will refuse it again: %v", err)
	assert.Equal(t, 401, providers.StatusOf(err))
	msgs = sb.Messages()
	require.Len(t, msgs, 2, "a refused webhook is recorded too")
	assert.False(t, msgs[1].Verified)
	assert.Equal(t, 401, msgs[1].Status)
}

// A receiver verifies with a Standard Webhooks library alone: the headers
// and the signed content are the specification's.
func TestWebhookIsAStandardWebhook(t *testing.T) {
	var got http.Header
	var body []byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	_, err := providers.NewWebhook(webhookSecret, loopback).Send(context.Background(), receiver.URL, []byte(`{"id":"n-1"}`), "n-1:webhook")
	require.NoError(t, err)
	assert.Equal(t, "n-1:webhook", got.Get("webhook-id"))
	assert.NotEmpty(t, got.Get("webhook-timestamp"))
	assert.Regexp(t, `^v1,`, got.Get("webhook-signature"))
	require.NoError(t, webhooksign.Verify(webhookSecret, got, body))
	assert.Error(t, webhooksign.Verify(webhookSecret, got, []byte(`{"id":"n-2"}`)))
}

// A malformed secret fails the delivery for good (config refuses one at start).
func TestWebhookWithAMalformedSecretIsPermanent(t *testing.T) {
	_, err := providers.NewWebhook("whsec_sandbox", loopback).Send(context.Background(), "https://example.com/hook", []byte(`{}`), "d-1")
	assert.True(t, providers.IsPermanent(err), "%v", err)
}

func TestWebhookAnswersAreClassified(t *testing.T) {
	var status int
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == http.StatusFound {
			w.Header().Set("Location", "https://elsewhere.example/hook")
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("receiver says no"))
	}))
	defer receiver.Close()
	send := func() error {
		_, err := providers.NewWebhook(webhookSecret, loopback).Send(context.Background(), receiver.URL, []byte(`{}`), "d-1")
		return err
	}

	for _, s := range []int{http.StatusOK, http.StatusAccepted} {
		status = s
		require.NoError(t, send(), "status %d", s)
	}
	for s, permanent := range map[int]bool{http.StatusFound: true, http.StatusGone: true, http.StatusNotFound: true,
		http.StatusTooManyRequests: false, http.StatusInternalServerError: false, http.StatusBadGateway: false} {
		status = s
		err := send()
		require.Error(t, err, "status %d", s)
		assert.Equal(t, permanent, providers.IsPermanent(err), "status %d: %v", s, err)
		assert.Equal(t, s, providers.StatusOf(err))
	}
	status = http.StatusTooManyRequests
	wait, ok := providers.RetryAfter(send())
	assert.True(t, ok)
	assert.Equal(t, 30*time.Second, wait)
	status = http.StatusInternalServerError
	assert.Contains(t, send().Error(), "receiver says no")
}

func TestWebhookRefusesURLsItCannotPostTo(t *testing.T) {
	for _, target := range []string{"", "ftp://example.com/hook", "/relative", "http://"} {
		_, err := providers.NewWebhook(webhookSecret, loopback).Send(context.Background(), target, []byte(`{}`), "d-1")
		assert.True(t, providers.IsPermanent(err), "%q: %v", target, err)
	}
}

// A receiver on a private address is refused before anything is sent, for
// good and saying why: the notification moves on to its next channel.
func TestWebhookRefusesPrivateTargets(t *testing.T) {
	var calls atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	for _, target := range []string{receiver.URL, strings.Replace(receiver.URL, "127.0.0.1", "localhost", 1)} {
		_, err := providers.NewWebhook(webhookSecret, safehttp.Options{}).Send(context.Background(), target+"/hook", []byte(`{}`), "d-1")
		require.Error(t, err, target)
		assert.True(t, providers.IsPermanent(err), "%s: a refused target is refused on every attempt: %v", target, err)
		assert.Contains(t, err.Error(), "is a loopback address; allow it with WEBHOOK_ALLOWED_NETWORKS", target)
		assert.Contains(t, err.Error(), "webhook target ", target)
	}
	assert.Zero(t, calls.Load(), "nothing reached the receiver")

	_, err := providers.NewWebhook(webhookSecret, loopback).Send(context.Background(), receiver.URL+"/hook", []byte(`{}`), "d-2")
	require.NoError(t, err, "allowed by WEBHOOK_ALLOWED_NETWORKS")
	assert.EqualValues(t, 1, calls.Load())
}
