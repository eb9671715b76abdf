package providers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Webhook posts signed JSON events to receivers' URLs (SignatureHeader).
type Webhook struct {
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a sender that signs with secret. A nil httpClient gets a
// 10 s timeout. Redirects are never followed: the signature covers the
// receiver's URL choice, and a redirect is a misconfiguration to fix there.
func NewWebhook(secret string, httpClient *http.Client) *Webhook {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	c := *httpClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Webhook{secret: []byte(secret), client: &c, now: time.Now}
}

// Send posts body to target, signed, with deliveryID in DeliveryHeader, and
// returns the receiver's status; the delivery ID stands for a message ID.
// A 2xx answer is a delivery; 4xx other than 408 and 429 are permanent,
// as for the providers.
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
	req.Header.Set(DeliveryHeader, deliveryID)
	req.Header.Set(SignatureHeader, SignWebhook(w.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return Receipt{}, &TransientError{Provider: WebhookName, Message: err.Error(), Err: err}
	}
	defer resp.Body.Close()
	// A receiver's answer is read only for the error message, and bounded.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
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
