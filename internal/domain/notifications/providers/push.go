package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// PushMessage is one notification to one device.
type PushMessage struct {
	Token string // the device's registration token
	Title string
	Body  string
	Data  map[string]string // delivered to the app, not shown
	// IdempotencyKey is sent as an Idempotency-Key header, for tracing.
	IdempotencyKey string
}

// Push sends notifications through a generic HTTP push service:
//
//	POST {base}/push/v1/messages
//	Authorization: Bearer {api key}
//	{"token": "...", "title": "...", "body": "...", "data": {...}}
//
// answered 201 {"id": "..."}, or an error status with
// {"error": {"code": "...", "message": "..."}}: 400 for a malformed token,
// 404 or 410 for a device that is no longer registered (FCM's UNREGISTERED,
// APNs' 410), both permanent.
//
// No FCM or APNs SDK can run offline, so this small JSON API stands in for
// one: the sandbox serves it, and a relay to FCM or APNs (or a provider that
// speaks it) takes its place in production.
type Push struct {
	apiKey   string
	endpoint string
	client   *http.Client
}

// NewPush returns a Push sender on the service at baseURL. A nil httpClient
// gets a 10 s timeout.
func NewPush(apiKey, baseURL string, httpClient *http.Client) *Push {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Push{apiKey: apiKey, endpoint: strings.TrimRight(baseURL, "/") + "/push/v1/messages", client: httpClient}
}

// Send hands m to the push service and returns its message id.
func (p *Push) Send(ctx context.Context, m PushMessage) (Receipt, error) {
	body, err := json.Marshal(struct {
		Token string            `json:"token"`
		Title string            `json:"title,omitempty"`
		Body  string            `json:"body"`
		Data  map[string]string `json:"data,omitempty"`
	}{m.Token, m.Title, m.Body, m.Data})
	if err != nil {
		return Receipt{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, &PermanentError{Provider: PushName, Message: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Content-Type", "application/json")
	if m.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", m.IdempotencyKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Receipt{}, &TransientError{Provider: PushName, Message: err.Error(), Err: err}
	}
	defer resp.Body.Close()
	var answer struct {
		ID    string `json:"id"`
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Receipt{}, &TransientError{Provider: PushName, Status: resp.StatusCode, Message: err.Error(), Err: err}
	}
	decodeErr := json.Unmarshal(raw, &answer)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		message := strings.TrimSpace(string(raw))
		if decodeErr == nil && answer.Error.Code != "" {
			message = answer.Error.Code + ": " + answer.Error.Message
		}
		return Receipt{}, statusError(PushName, resp.StatusCode, 0, message, resp.Header)
	}
	if decodeErr != nil || answer.ID == "" {
		return Receipt{}, &TransientError{Provider: PushName, Status: resp.StatusCode, Message: "answer without a message id"}
	}
	return Receipt{MessageID: answer.ID, Status: resp.StatusCode}, nil
}
