package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// Webhook posts JSON events to receivers' URLs, signed as Standard Webhooks
// are (internal/platform/webhooksign: headers webhook-id, webhook-timestamp
// and webhook-signature), so a receiver verifies them with any Standard
// Webhooks library.
type Webhook struct {
	secret string
	client *http.Client
	now    func() time.Time
}

// WebhookAllowSetting is the setting that allows webhooks to private
// networks, which refusals name.
const WebhookAllowSetting = "WEBHOOK_ALLOWED_NETWORKS"

// NewWebhook returns a sender that signs with secret (a Standard Webhooks
// "whsec_..." secret), over safehttp's client
// built from opts: it posts only to public addresses and the networks
// opts.Allowed names (a receiver's URL is the customer's choice, and must not
// reach the cluster's own services), which is why it takes options rather
// than a client. opts.Subject and opts.Setting default to "webhook target"
// and WebhookAllowSetting, opts.Timeout to safehttp's. Redirects are never
// followed: the signature covers the receiver's URL choice, and a redirect
// is a misconfiguration to fix there.
func NewWebhook(secret string, opts safehttp.Options) *Webhook {
	if opts.Subject == "" {
		opts.Subject = "webhook target"
	}
	if opts.Setting == "" {
		opts.Setting = WebhookAllowSetting
	}
	return &Webhook{secret: secret, client: safehttp.NewClient(opts), now: time.Now}
}

// Send posts body to target, signed, with deliveryID as the webhook-id, and
// returns the receiver's status; the delivery ID stands for a message ID.
// It is the delivery's idempotency key, the same on every retry of one
// delivery, so a receiver drops duplicates by webhook-id.
// A 2xx answer is a delivery; 4xx other than 408 and 429 are permanent,
// as for the providers. A target the policy refuses (a private address) is
// permanent too, with the reason: it will be refused on every attempt, so
// the notification moves on to its next channel.
func (w *Webhook) Send(ctx context.Context, target string, body []byte, deliveryID string) (Receipt, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Receipt{}, &PermanentError{Provider: WebhookName, Message: fmt.Sprintf("%q is not an http(s) URL", target)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, &PermanentError{Provider: WebhookName, Message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orderflow-webhooks/1")
	if err := webhooksign.Sign(req.Header, []string{w.secret}, deliveryID, w.now(), body); err != nil {
		// WEBHOOK_SIGNING_SECRET is checked when the worker starts; a bad
		// one here fails every attempt alike.
		return Receipt{}, &PermanentError{Provider: WebhookName, Message: "signing the webhook: " + err.Error()}
	}
	resp, err := w.client.Do(req)
	if refused := (*safehttp.RefusedError)(nil); errors.As(err, &refused) {
		return Receipt{}, &PermanentError{Provider: WebhookName, Message: refused.Error()}
	}
	if err != nil {
		return Receipt{}, &TransientError{Provider: WebhookName, Message: err.Error(), Err: err}
	}
	defer resp.Body.Close()
	// A receiver's answer is read only for the error message, and bounded:
	// a longer one is cut.
	answer, _ := safehttp.ReadBody(resp.Body, 512)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return Receipt{MessageID: deliveryID, Status: resp.StatusCode}, nil
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return Receipt{}, &PermanentError{Provider: WebhookName, Status: resp.StatusCode,
			Message: "redirect to " + resp.Header.Get("Location") + " not followed"}
	}
	message := strings.TrimSpace(string(answer))
	if message == "" {
		message = http.StatusText(resp.StatusCode)
	}
	return Receipt{}, statusError(WebhookName, resp.StatusCode, 0, message, resp.Header)
}
