package providers

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/SherClockHolmes/webpush-go"

	"github.com/orderflow/orderflow/internal/platform/safehttp"
)

// WebPushName is the Web Push sender's name, as in errors and metrics.
const WebPushName = "webpush"

// webPushTTL is how long a push service keeps a message for a browser that
// is offline: a day, after which news of an order is better read by email.
const webPushTTL = 24 * time.Hour

// Subscription is a browser's Web Push subscription, as
// PushSubscription.toJSON() gives it: the push service's endpoint and the
// keys the message is encrypted for (base64url).
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// WebPush sends notifications to browsers (RFC 8030) through their push
// services, with webpush-go: each message encrypted for its subscription
// (RFC 8291, aes128gcm) and signed with the application server's VAPID key
// (RFC 8292). The service answers 201; 404 or 410 means the subscription is
// gone (the browser unsubscribed or expired it), permanent like every 4xx
// but 408 and 429.
//
// The endpoint is a URL the customer's browser chose, so requests go
// through safehttp like webhooks: public addresses only, unless
// WEBHOOK_ALLOWED_NETWORKS allows more (the local sandbox on loopback).
type WebPush struct {
	publicKey, privateKey string
	subscriber            string
	client                *http.Client
}

// NewWebPush returns a sender that signs with the VAPID key pair (base64url,
// the private key the private half of the public one) and subject (mailto:
// or https:).
func NewWebPush(publicKey, privateKey, subject string, opts safehttp.Options) (*WebPush, error) {
	if err := checkVAPIDPair(publicKey, privateKey); err != nil {
		return nil, err
	}
	if opts.Subject == "" {
		opts.Subject = "Web Push endpoint"
	}
	if opts.Setting == "" {
		opts.Setting = WebhookAllowSetting
	}
	return &WebPush{
		publicKey: publicKey, privateKey: privateKey,
		// webpush-go writes "mailto:" before a subject that is not an
		// https: URL.
		subscriber: strings.TrimPrefix(subject, "mailto:"),
		client:     safehttp.NewClient(opts),
	}, nil
}

// checkVAPIDPair reports whether private is the private half of public.
func checkVAPIDPair(public, private string) error {
	priv, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(private, "="))
	if err == nil {
		var key *ecdh.PrivateKey
		if key, err = ecdh.P256().NewPrivateKey(priv); err == nil {
			if base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()) != strings.TrimRight(public, "=") {
				err = errors.New("it is not the private half of VAPID_PUBLIC_KEY")
			}
		}
	}
	if err != nil {
		return fmt.Errorf("VAPID_PRIVATE_KEY: %w", err)
	}
	return nil
}

// webPushPayload is what the service worker receives in its push event:
// what to show, and the data to act on a click with.
type webPushPayload struct {
	Title string            `json:"title"`
	Body  string            `json:"body"`
	Data  map[string]string `json:"data,omitempty"`
}

// Send encrypts m for s and hands it to s's push service. The receipt's
// message ID is the service's (its Location).
func (w *WebPush) Send(ctx context.Context, s Subscription, m PushMessage) (Receipt, error) {
	payload, err := json.Marshal(webPushPayload{Title: m.Title, Body: m.Body, Data: m.Data})
	if err != nil {
		return Receipt{}, err
	}
	resp, err := webpush.SendNotificationWithContext(ctx, payload,
		&webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.P256dh, Auth: s.Auth}},
		&webpush.Options{
			HTTPClient: w.client, Subscriber: w.subscriber,
			VAPIDPublicKey: w.publicKey, VAPIDPrivateKey: w.privateKey,
			TTL: int(webPushTTL / time.Second), Urgency: webpush.UrgencyNormal,
			Topic: pushTopic(m.IdempotencyKey),
		})
	if err != nil {
		return Receipt{}, webPushError(err)
	}
	defer resp.Body.Close()
	answer, _ := safehttp.ReadBody(resp.Body, 512)
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		// Not followed (safehttp): a push service does not redirect.
		return Receipt{}, &PermanentError{Provider: WebPushName, Status: resp.StatusCode, Message: "redirect not followed"}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		message := strings.TrimSpace(string(bytes.ToValidUTF8(answer, nil)))
		if message == "" {
			message = http.StatusText(resp.StatusCode)
		}
		return Receipt{}, statusError(WebPushName, resp.StatusCode, 0, message, resp.Header)
	}
	return Receipt{MessageID: resp.Header.Get("Location"), Status: resp.StatusCode}, nil
}

// webPushError sorts webpush-go's errors: a request the address policy
// refused is permanent, as for webhooks, and one that got no answer
// transient; anything before the request (keys that do not decode or are
// not on the curve, a payload too long for a record) fails the same way
// every time. The messages leave the endpoint out: it is the browser's, and
// they go to logs.
func webPushError(err error) error {
	if refused := (*safehttp.RefusedError)(nil); errors.As(err, &refused) {
		why := refused.Reason
		if refused.Range != safehttp.Public {
			why = "its address is " + string(refused.Range)
		}
		return &PermanentError{Provider: WebPushName, Message: "the endpoint is refused: " + why + " (" + refused.Setting + ")", Err: refused}
	}
	var requestErr *url.Error
	switch {
	case errors.As(err, &requestErr) && requestErr.Op == "parse":
		return &PermanentError{Provider: WebPushName, Message: "the endpoint is not a URL"}
	case errors.As(err, &requestErr):
		return &TransientError{Provider: WebPushName, Message: requestErr.Op + " to the push service: " + requestErr.Err.Error(), Err: err}
	case errors.Is(err, webpush.ErrMaxPadExceeded):
		return &PermanentError{Provider: WebPushName, Message: "the message is too long for a push"}
	}
	return &PermanentError{Provider: WebPushName, Message: "the subscription's keys do not encrypt: " + err.Error()}
}

// pushTopic is the Topic (RFC 8030 5.4) of a message: the same for every
// attempt at it, so that a push service still holding an earlier attempt
// for an offline browser replaces it rather than showing both. A topic is
// at most 32 characters of base64url; the idempotency key is hashed into
// one ("" when there is none).
func pushTopic(idempotencyKey string) string {
	if idempotencyKey == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(idempotencyKey))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:32]
}
