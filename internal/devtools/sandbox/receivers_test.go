package sandbox_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// startReceivers starts a sandbox whose WEBHOOK_SIGNING_SECRET is secret.
func startReceivers(t *testing.T, secret string) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler), WebhookSigningSecret: secret})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	return sb, srv.URL
}

// hook is a POST to /hooks/{name} of body, signed with secret as message id.
func hook(t *testing.T, name, secret, id, body string) call {
	t.Helper()
	h := http.Header{}
	require.NoError(t, webhooksign.Sign(h, []string{secret}, id, time.Now(), []byte(body)))
	return call{"POST", "/hooks/" + name, body, h}
}

func configure(t *testing.T, base, name, config string) {
	t.Helper()
	resp, body := do(t, base, call{"PUT", "/_sandbox/receivers/" + name, config, nil})
	require.Equal(t, 200, resp.StatusCode, string(body))
}

func requestsOf(t *testing.T, base, name string) []sandbox.Message {
	t.Helper()
	resp, body := do(t, base, call{"GET", "/_sandbox/receivers/" + name + "/requests", ``, nil})
	require.Equal(t, 200, resp.StatusCode)
	var got []sandbox.Message
	require.NoError(t, json.Unmarshal(body, &got))
	return got
}

func TestReceiverVerifiesTheSignature(t *testing.T) {
	sandboxSecret, own := webhooksign.NewSecret(), webhooksign.NewSecret()
	_, base := startReceivers(t, sandboxSecret)

	// Unconfigured: the sandbox's secret.
	resp, _ := do(t, base, hook(t, "plain", sandboxSecret, "msg_1", `{"id":1}`))
	assert.Equal(t, 204, resp.StatusCode)
	resp, body := do(t, base, hook(t, "plain", own, "msg_2", `{"id":2}`))
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "signature")

	// Configured with a secret of its own: that one, not the sandbox's.
	configure(t, base, "acme", `{"secret":"`+own+`"}`)
	resp, _ = do(t, base, hook(t, "acme", own, "msg_3", `{"id":3}`))
	assert.Equal(t, 204, resp.StatusCode)
	resp, _ = do(t, base, hook(t, "acme", sandboxSecret, "msg_4", `{"id":4}`))
	assert.Equal(t, 401, resp.StatusCode, "wrong secret")
	tampered := hook(t, "acme", own, "msg_5", `{"id":5}`)
	tampered.body = `{"id":6}`
	resp, _ = do(t, base, tampered)
	assert.Equal(t, 401, resp.StatusCode, "tampered body")
	resp, _ = do(t, base, call{"POST", "/hooks/acme", `{"id":7}`, nil})
	assert.Equal(t, 401, resp.StatusCode, "unsigned")

	got := requestsOf(t, base, "acme")
	require.Len(t, got, 4, "every request is recorded, verified or not")
	assert.Equal(t, "msg_3", got[0].IdempotencyKey)
	assert.Equal(t, "msg_3", got[0].Headers["webhook-id"])
	assert.NotEmpty(t, got[0].Headers["webhook-timestamp"])
	assert.Regexp(t, `^v1,`, got[0].Headers["webhook-signature"])
	assert.True(t, got[0].Verified)
	assert.Equal(t, 204, got[0].Status)
	assert.Equal(t, `{"id":3}`, got[0].Body)
	for i, m := range got[1:] {
		assert.False(t, m.Verified, i)
		assert.Equal(t, 401, m.Status, i)
		assert.NotEmpty(t, m.Refusal, i)
	}
	assert.Equal(t, `{"id":6}`, got[2].Body, "the body as received")
	assert.Len(t, requestsOf(t, base, "plain"), 2)
	assert.Empty(t, requestsOf(t, base, "nobody"))

	// The message list still lists webhooks.
	resp, body = do(t, base, call{"GET", "/_sandbox/messages", ``, nil})
	require.Equal(t, 200, resp.StatusCode)
	var all []sandbox.Message
	require.NoError(t, json.Unmarshal(body, &all))
	assert.Len(t, all, 6)
}

func TestReceiverAnswersItsStatusesInOrder(t *testing.T) {
	secret := webhooksign.NewSecret()
	_, base := startReceivers(t, secret)
	configure(t, base, "flaky", `{"responses":[503,503,200]}`)

	var answered []int
	for i := range 5 {
		resp, _ := do(t, base, hook(t, "flaky", secret, "msg_"+string(rune('a'+i)), `{}`))
		answered = append(answered, resp.StatusCode)
	}
	assert.Equal(t, []int{503, 503, 200, 200, 200}, answered, "the last status repeats")
	// A refused signature answers 401 and uses no status up.
	resp, _ := do(t, base, hook(t, "flaky", webhooksign.NewSecret(), "msg_x", `{}`))
	assert.Equal(t, 401, resp.StatusCode)

	got := requestsOf(t, base, "flaky")
	require.Len(t, got, 6)
	for i, want := range []int{503, 503, 200, 200, 200, 401} {
		assert.Equal(t, want, got[i].Status, i)
	}

	// Configuring again starts over.
	configure(t, base, "flaky", `{"responses":[500,201]}`)
	resp, _ = do(t, base, hook(t, "flaky", secret, "msg_y", `{}`))
	assert.Equal(t, 500, resp.StatusCode)
	resp, _ = do(t, base, hook(t, "flaky", secret, "msg_z", `{}`))
	assert.Equal(t, 201, resp.StatusCode)

	// Forgotten: 204 again.
	resp, _ = do(t, base, call{"DELETE", "/_sandbox/receivers/flaky", ``, nil})
	assert.Equal(t, 204, resp.StatusCode)
	resp, _ = do(t, base, hook(t, "flaky", secret, "msg_w", `{}`))
	assert.Equal(t, 204, resp.StatusCode)
}

func TestReceiverRedirects(t *testing.T) {
	secret := webhooksign.NewSecret()
	_, base := startReceivers(t, secret)
	configure(t, base, "moved", `{"responses":[308],"redirect_to":"http://10.0.0.1/x"}`)

	c := hook(t, "moved", secret, "msg_1", `{}`)
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	require.NoError(t, err)
	req.Header = c.header
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 308, resp.StatusCode)
	assert.Equal(t, "http://10.0.0.1/x", resp.Header.Get("Location"))
}

func TestReceiverRefusesABadConfiguration(t *testing.T) {
	_, base := startReceivers(t, webhooksign.NewSecret())
	for name, config := range map[string]string{
		"not JSON":            `{"responses":`,
		"not a list":          `{"responses":503}`,
		"misspelt field":      `{"response":[503]}`,
		"trailing data":       `{} {}`,
		"below 200":           `{"responses":[100]}`,
		"above 599":           `{"responses":[200,600]}`,
		"malformed secret":    `{"secret":"whsec_sandbox"}`,
		"redirect, no target": `{"responses":[302]}`,
		"relative target":     `{"responses":[302],"redirect_to":"/x"}`,
	} {
		resp, body := do(t, base, call{"PUT", "/_sandbox/receivers/acme", config, nil})
		assert.Equal(t, 400, resp.StatusCode, name)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), name)
		assert.Contains(t, string(body), `"status":400`, name)
	}

	resp, body := do(t, base, call{"PUT", "/_sandbox/receivers/acme", `{"responses":[503,200]}`, nil})
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"name":"acme","own_secret":false,"responses":[503,200]}`, string(body))
}

// The fault gate in front of /hooks still plays its faults first.
func TestReceiverBehindAFault(t *testing.T) {
	secret := webhooksign.NewSecret()
	sb, base := startReceivers(t, secret)
	require.NoError(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderWebhook, Status: 502, Times: 1}))

	resp, _ := do(t, base, hook(t, "acme", secret, "msg_1", `{}`))
	assert.Equal(t, 502, resp.StatusCode)
	resp, _ = do(t, base, hook(t, "acme", secret, "msg_1", `{}`))
	assert.Equal(t, 204, resp.StatusCode)
	assert.Len(t, sb.ReceivedRequests("acme"), 1, "a faulted call never reaches the receiver")
	assert.Equal(t, 2, sb.Stats()[sandbox.ProviderWebhook])
}
