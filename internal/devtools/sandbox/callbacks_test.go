package sandbox_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twilio/twilio-go/client"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
)

// receiver collects the callbacks a sandbox posts, checking each one's
// signature with the providers' own SDK helpers, as orderflow's API does.
type receiver struct {
	mu       sync.Mutex
	received []callback
	srv      *httptest.Server
}

type callback struct {
	valid bool
	body  []byte
}

func newReceiver(t *testing.T, verify func(r *http.Request, url string, body []byte) bool) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.received = append(rc.received, callback{verify(r, rc.srv.URL+r.URL.RequestURI(), body), body})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T, n int) []callback {
	t.Helper()
	require.Eventually(t, func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return len(rc.received) >= n
	}, 5*time.Second, 10*time.Millisecond)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.received
}

func TestTwilioStatusCallbacksAreSignedWithTheAuthToken(t *testing.T) {
	validator := client.NewRequestValidator("secret")
	rc := newReceiver(t, func(r *http.Request, url string, body []byte) bool {
		return validator.ValidateBody(url, body, r.Header.Get("X-Twilio-Signature"))
	})
	_, base := start(t)
	form := url.Values{"To": {"+15005550006"}, "From": {"+15005550006"}, "Body": {"hi"}, "StatusCallback": {rc.srv.URL + "/webhooks/twilio?x=1"}}
	resp, body := do(t, base, twilioCall("POST", "/Messages.json", form, account, "secret"))
	require.Equal(t, 201, resp.StatusCode, "%s", body)
	var msg struct{ Sid string }
	require.NoError(t, json.Unmarshal(body, &msg))

	var statuses []string
	for _, cb := range rc.wait(t, 2) {
		assert.True(t, cb.valid, "X-Twilio-Signature verifies with twilio-go's RequestValidator")
		form, err := url.ParseQuery(string(cb.body))
		require.NoError(t, err)
		assert.Equal(t, msg.Sid, form.Get("MessageSid"))
		assert.Equal(t, account, form.Get("AccountSid"))
		statuses = append(statuses, form.Get("MessageStatus"))
	}
	assert.Equal(t, []string{"sent", "delivered"}, statuses)
}

func TestSendGridEventsAreSignedWithTheWebhookKey(t *testing.T) {
	var sb *sandbox.Sandbox
	rc := newReceiver(t, func(r *http.Request, _ string, body []byte) bool {
		key, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(sb.SendGridEventWebhookPublicKey())
		require.NoError(t, err)
		ok, err := eventwebhook.VerifySignature(key, body,
			r.Header.Get(eventwebhook.VerificationHTTPHeader), r.Header.Get(eventwebhook.TimestampHTTPHeader))
		return err == nil && ok
	})
	sb = sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler), SendGridEventWebhookURL: rc.srv.URL + "/webhooks/sendgrid"})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)

	mail := `{"personalizations":[{"to":[{"email":"ada@example.com"}],"custom_args":{"idempotency_key":"n-1:email"}}],
		"from":{"email":"orders@example.com"},"subject":"s","content":[{"type":"text/plain","value":"b"}]}`
	resp, _ := do(t, srv.URL, call{"POST", "/v3/mail/send", mail, http.Header{"Authorization": {"Bearer SG.x"}}})
	require.Equal(t, 202, resp.StatusCode)
	messageID := resp.Header.Get("X-Message-Id")

	cbs := rc.wait(t, 1)
	require.True(t, cbs[0].valid, "the signature verifies with sendgrid-go's eventwebhook helpers")
	var events []map[string]any
	require.NoError(t, json.Unmarshal(cbs[0].body, &events))
	require.Len(t, events, 2)
	for i, kind := range []string{"processed", "delivered"} {
		assert.Equal(t, kind, events[i]["event"])
		assert.Equal(t, "ada@example.com", events[i]["email"])
		assert.True(t, strings.HasPrefix(events[i]["sg_message_id"].(string), messageID+"."), "sg_message_id starts with X-Message-Id")
		assert.Equal(t, "n-1:email", events[i]["idempotency_key"], "custom args come back as fields")
		assert.NotEmpty(t, events[i]["sg_event_id"])
	}
	assert.NotEqual(t, events[0]["sg_event_id"], events[1]["sg_event_id"])
}

func TestEventWebhookKeyPairMatches(t *testing.T) {
	private, public := sandbox.NewEventWebhookKey()
	key, err := sandbox.ParseEventWebhookKey(private)
	require.NoError(t, err)
	sb := sandbox.New(sandbox.Options{SendGridEventWebhookKey: key})
	assert.Equal(t, public, sb.SendGridEventWebhookPublicKey())
	_, err = sandbox.ParseEventWebhookKey(public)
	assert.Error(t, err, "a public key is not a private one")
}

func TestCloseAbandonsCallbacksUnderWay(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	sb := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	form := url.Values{"To": {"+15005550006"}, "From": {"+15005550006"}, "Body": {"hi"}, "StatusCallback": {slow.URL}}
	resp, _ := do(t, srv.URL, twilioCall("POST", "/Messages.json", form, account, "any"))
	require.Equal(t, 201, resp.StatusCode)

	done := make(chan struct{})
	go func() { sb.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close waited for a receiver that does not answer")
	}
}

func TestEveryFaultFailsOneCallInN(t *testing.T) {
	sb, base := start(t)
	require.NoError(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 500, Every: 3}))
	var statuses []int
	for range 6 {
		resp, _ := do(t, base, twilioCall("POST", "/Messages.json", url.Values{"To": {"+15005550006"}, "From": {"+15005550006"}, "Body": {"x"}}, account, "secret"))
		statuses = append(statuses, resp.StatusCode)
	}
	assert.Equal(t, []int{201, 201, 500, 201, 201, 500}, statuses)
	assert.Error(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderTwilio, Every: 3}), "every needs a status")
	assert.Error(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 500, Every: 3, Times: 1}))
}
