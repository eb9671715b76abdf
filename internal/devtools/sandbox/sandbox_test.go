package sandbox_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
)

// These tests speak raw HTTP to check what the SDK-driven tests of
// internal/domain/payments and internal/domain/notifications/providers do not reach: request
// validation, error shapes, and the /_sandbox control API.

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func start(t *testing.T) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{
		Logger:          slog.New(slog.DiscardHandler),
		TwilioAuthToken: "secret",
		Now:             func() time.Time { return fixedNow },
	})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close) // runs first: no callback outlives the test
	return sb, srv.URL
}

type call struct {
	method, path, body string
	header             http.Header
}

func do(t *testing.T, base string, c call) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	require.NoError(t, err)
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func key(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }

func TestPaymentAPIErrors(t *testing.T) {
	_, base := start(t)
	tests := []struct {
		name   string
		call   call
		status int
		code   string
	}{
		{"no idempotency key", call{"POST", "/v1/authorizations", `{"amount":1,"currency":"USD","token":"tok_visa"}`, nil}, 400, "missing_idempotency_key"},
		{"bad JSON", call{"POST", "/v1/authorizations", `{"amount":`, key("k1")}, 400, "invalid_request"},
		{"negative amount", call{"POST", "/v1/authorizations", `{"amount":-5,"currency":"USD","token":"tok_visa"}`, key("k2")}, 400, "invalid_amount"},
		{"bad currency", call{"POST", "/v1/authorizations", `{"amount":5,"currency":"dollars","token":"tok_visa"}`, key("k3")}, 400, "invalid_currency"},
		{"gateway error", call{"POST", "/v1/authorizations", `{"amount":5,"currency":"USD","token":"tok_error"}`, key("k4")}, 500, "processing_error"},
		{"unknown authorization", call{"POST", "/v1/authorizations/auth_x/void", ``, key("k5")}, 404, "resource_missing"},
		{"unknown capture", call{"POST", "/v1/captures/cap_x/refunds", `{"amount":1}`, key("k6")}, 404, "resource_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, base, tt.call)
			assert.Equal(t, tt.status, resp.StatusCode)
			var e struct {
				Error struct{ Code, Message string }
			}
			require.NoError(t, json.Unmarshal(body, &e), string(body))
			assert.Equal(t, tt.code, e.Error.Code)
			assert.NotEmpty(t, e.Error.Message)
		})
	}
}

func TestPaymentReplayIsByteForByte(t *testing.T) {
	_, base := start(t)
	first := call{"POST", "/v1/authorizations", `{"amount":700,"currency":"EUR","token":"tok_visa","reference":"o-9"}`, key("same")}
	resp1, body1 := do(t, base, first)
	require.Equal(t, 201, resp1.StatusCode)
	assert.Empty(t, resp1.Header.Get("Idempotent-Replayed"))

	// Same parameters, other spacing and key order: still the same request.
	again := first
	again.body = `{ "reference":"o-9", "token":"tok_visa", "currency":"EUR", "amount":700 }`
	resp2, body2 := do(t, base, again)
	assert.Equal(t, 201, resp2.StatusCode)
	assert.Equal(t, "true", resp2.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, string(body1), string(body2))

	// The same key on another path is another request.
	resp3, _ := do(t, base, call{"POST", "/v1/authorizations/auth_x/void", ``, key("same")})
	assert.Equal(t, 409, resp3.StatusCode)
}

func TestSendGridErrors(t *testing.T) {
	_, base := start(t)
	auth := http.Header{"Authorization": {"Bearer SG.test"}, "Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		header http.Header
		body   string
		status int
		fields []string // nil: the error has a null field
	}{
		{"no API key", nil, `{}`, 401, nil},
		{"bad JSON", auth, `{"personalizations":`, 400, nil},
		{"empty mail", auth, `{}`, 400, []string{"personalizations", "from", "subject", "content"}},
		{"bad addresses and empty content", auth,
			`{"personalizations":[{"to":[{"email":"nope"}]}],"from":{"email":"also nope"},"subject":"s","content":[{"type":"text/plain","value":""}]}`,
			400, []string{"personalizations.0.to.0.email", "from.email", "content.0.value"}},
		{"no recipient", auth,
			`{"personalizations":[{}],"from":{"email":"a@b.co"},"subject":"s","content":[{"type":"text/plain","value":"x"}]}`,
			400, []string{"personalizations.0.to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, base, call{"POST", "/v3/mail/send", tt.body, tt.header})
			assert.Equal(t, tt.status, resp.StatusCode)
			var e struct {
				Errors []struct {
					Message string
					Field   *string
				}
			}
			require.NoError(t, json.Unmarshal(body, &e), string(body))
			require.NotEmpty(t, e.Errors)
			var fields []string
			for _, x := range e.Errors {
				assert.NotEmpty(t, x.Message)
				if x.Field != nil {
					fields = append(fields, *x.Field)
				}
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
}

func TestSendGridAcceptsTemplateWithoutSubjectOrContent(t *testing.T) {
	sb, base := start(t)
	resp, body := do(t, base, call{"POST", "/v3/mail/send",
		`{"personalizations":[{"to":[{"email":"a@b.co"},{"email":"c@d.co"}],"custom_args":{"idempotency_key":"k"}}],
		  "from":{"email":"shop@b.co"},"template_id":"d-123","custom_args":{"tenant":"t1"}}`,
		http.Header{"Authorization": {"Bearer SG.test"}}})
	require.Equal(t, 202, resp.StatusCode, string(body))
	assert.Empty(t, body)
	assert.Len(t, resp.Header.Get("X-Message-Id"), 22)

	msgs := sb.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "a@b.co, c@d.co", msgs[0].To)
	assert.Equal(t, "k", msgs[0].IdempotencyKey)
	assert.Equal(t, map[string]string{"idempotency_key": "k", "tenant": "t1"}, msgs[0].CustomArgs)
	assert.Equal(t, fixedNow, msgs[0].Time)
}

const account = "AC0123456789abcdef0123456789abcdef"

func twilioCall(method, path string, form url.Values, user, password string) call {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if user != "" {
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(user, password)
		h["Authorization"] = req.Header["Authorization"]
	}
	return call{method, "/2010-04-01/Accounts/" + account + path, form.Encode(), h}
}

func TestTwilioMessages(t *testing.T) {
	_, base := start(t)
	form := url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}, "Body": {"hello"}}

	resp, body := do(t, base, twilioCall("POST", "/Messages.json", form, account, "secret"))
	require.Equal(t, 201, resp.StatusCode, string(body))
	var created map[string]any
	require.NoError(t, json.Unmarshal(body, &created))
	assert.Regexp(t, `^SM[0-9a-f]{32}$`, created["sid"])
	assert.Equal(t, "queued", created["status"])
	assert.Equal(t, account, created["account_sid"])
	assert.Equal(t, "Wed, 04 Mar 2026 05:06:07 +0000", created["date_created"])
	assert.Nil(t, created["date_sent"])
	sid := created["sid"].(string)

	resp, body = do(t, base, twilioCall("GET", "/Messages/"+sid+".json", nil, account, "secret"))
	require.Equal(t, 200, resp.StatusCode)
	var fetched map[string]any
	require.NoError(t, json.Unmarshal(body, &fetched))
	assert.Equal(t, created, fetched)

	tests := []struct {
		name   string
		call   call
		status int
		code   float64
	}{
		{"no credentials", twilioCall("POST", "/Messages.json", form, "", ""), 401, 20003},
		{"other account", twilioCall("POST", "/Messages.json", form, "AC999", "secret"), 401, 20003},
		{"wrong token", twilioCall("POST", "/Messages.json", form, account, "guess"), 401, 20003},
		{"no To", twilioCall("POST", "/Messages.json", url.Values{"From": {"+15005550006"}, "Body": {"x"}}, account, "secret"), 400, 21604},
		{"no From", twilioCall("POST", "/Messages.json", url.Values{"To": {"+15005550006"}, "Body": {"x"}}, account, "secret"), 400, 21603},
		{"no Body", twilioCall("POST", "/Messages.json", url.Values{"To": {"+15005550006"}, "From": {"+15005550006"}}, account, "secret"), 400, 21602},
		{"unknown message", twilioCall("GET", "/Messages/SMnope.json", nil, account, "secret"), 404, 20404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, base, tt.call)
			assert.Equal(t, tt.status, resp.StatusCode)
			var e map[string]any
			require.NoError(t, json.Unmarshal(body, &e), string(body))
			assert.Equal(t, tt.code, e["code"])
			assert.Equal(t, float64(tt.status), e["status"])
			assert.NotEmpty(t, e["more_info"])
		})
	}
}

func TestFaultControlAPI(t *testing.T) {
	sb, base := start(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}

	for _, bad := range []string{
		`{"provider":"paypal","status":503}`,
		`{"provider":"twilio","status":200}`,
		`{"provider":"twilio","times":2}`,
		`{"provider":"twilio"}`,
		`{"provider":`,
	} {
		resp, body := do(t, base, call{"POST", "/_sandbox/faults", bad, jsonHeader})
		assert.Equal(t, 400, resp.StatusCode, bad)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), bad)
		assert.Contains(t, string(body), `"status":400`, bad)
	}

	resp, _ := do(t, base, call{"POST", "/_sandbox/faults", `{"provider":"sendgrid","status":429,"times":1}`, jsonHeader})
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = do(t, base, call{"POST", "/_sandbox/faults", `{"provider":"sendgrid","latency_ms":5}`, jsonHeader})
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []sandbox.Fault{{Provider: "sendgrid", Status: 429, Times: 1, LatencyMS: 5}}, sb.Faults(), "faults combine")

	resp, body := do(t, base, call{"POST", "/v3/mail/send", `{}`, nil})
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(body), `"errors"`)
	assert.Equal(t, []sandbox.Fault{{Provider: "sendgrid", LatencyMS: 5}}, sb.Faults(), "the status was used up")

	resp, body = do(t, base, call{"GET", "/_sandbox/faults", ``, nil})
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `[{"provider":"sendgrid","latency_ms":5}]`, string(body))
	resp, _ = do(t, base, call{"DELETE", "/_sandbox/faults", ``, nil})
	assert.Equal(t, 204, resp.StatusCode)
	assert.Empty(t, sb.Faults())

	resp, body = do(t, base, call{"GET", "/_sandbox/stats", ``, nil})
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"carrier":0,"payments":0,"sendgrid":1,"twilio":0,"push":0,"webhook":0}`, string(body))
}

func TestRecordingsAndReset(t *testing.T) {
	_, base := start(t)
	resp, _ := do(t, base, call{"POST", "/v1/authorizations", `{"amount":5,"currency":"USD","token":"tok_visa","reference":"o-1"}`, key("r1")})
	require.Equal(t, 201, resp.StatusCode)
	resp, _ = do(t, base, twilioCall("POST", "/Messages.json", url.Values{"To": {"+15005550006"}, "From": {"+15005550006"}, "Body": {"x"}}, account, "secret"))
	require.Equal(t, 201, resp.StatusCode)

	_, body := do(t, base, call{"GET", "/_sandbox/payments", ``, nil})
	var ops []sandbox.PaymentOperation
	require.NoError(t, json.Unmarshal(body, &ops))
	require.Len(t, ops, 1)
	assert.Equal(t, "authorize", ops[0].Kind)
	assert.Equal(t, "r1", ops[0].IdempotencyKey)

	_, body = do(t, base, call{"GET", "/_sandbox/messages", ``, nil})
	var msgs []sandbox.Message
	require.NoError(t, json.Unmarshal(body, &msgs))
	require.Len(t, msgs, 1)
	assert.Equal(t, "twilio", msgs[0].Provider)

	resp, _ = do(t, base, call{"DELETE", "/_sandbox/messages", ``, nil})
	assert.Equal(t, 204, resp.StatusCode)
	_, body = do(t, base, call{"GET", "/_sandbox/messages", ``, nil})
	assert.JSONEq(t, `[]`, string(body))
	_, body = do(t, base, call{"GET", "/_sandbox/payments", ``, nil})
	assert.JSONEq(t, `[]`, string(body))

	// The reset forgot idempotency keys too: r1 is a fresh key again.
	resp, _ = do(t, base, call{"POST", "/v1/authorizations", `{"amount":6,"currency":"USD","token":"tok_visa"}`, key("r1")})
	assert.Equal(t, 201, resp.StatusCode)
}

func TestUnknownRoutesAnswerProblems(t *testing.T) {
	_, base := start(t)
	resp, _ := do(t, base, call{"GET", "/nowhere", ``, nil})
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	resp, _ = do(t, base, call{"PUT", "/_sandbox/stats", ``, nil})
	assert.Equal(t, 405, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
}
