package api

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// edge is the API's handler with no stores behind it: what the edge refuses
// never reaches one, and what does reach one panics into a 500.
type edge struct {
	t     *testing.T
	h     http.Handler
	admin string
}

func newEdge(t *testing.T, s *Server) edge {
	t.Helper()
	keys, err := auth.ParseKeys("test-1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	admin, err := keys.Issue(auth.Principal{UserID: uuid.NewString(), Role: auth.RoleAdmin}, time.Now(), time.Minute)
	require.NoError(t, err)
	s.Logger, s.Keys = slog.New(slog.DiscardHandler), keys
	return edge{t: t, h: s.Handler(), admin: admin}
}

// call sends body (none if "") as the admin and decodes the problem answered.
func (e edge) call(method, path, body string, header ...string) (*httptest.ResponseRecorder, httpx.Problem) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var p httpx.Problem
	if rec.Header().Get("Content-Type") == "application/problem+json" {
		require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &p), "%s %s", method, path)
	}
	return rec, p
}

const orderID = "0190f2c4-5f7e-7a9b-8c3d-2e1f0a9b8c7d"

// TestBodiesRefuseNUL: PostgreSQL refuses U+0000 in text and jsonb, so a NUL
// in any text field of any body is a 422 naming the field, answered before
// any store or workflow sees it.
func TestBodiesRefuseNUL(t *testing.T) {
	e := newEdge(t, &Server{})
	for _, c := range []struct{ method, path, body, field string }{
		{"POST", "/api/orders", `{"items":[{"sku":"SKU-1","quantity":1}],"payment":{"token":"a\u0000b"}}`, "payment.token"},
		{"POST", "/api/orders", `{"items":[{"sku":"SKU-1","quantity":1},{"sku":"S\u0000","quantity":1}],"payment":{"token":"t"}}`, "items[1].sku"},
		{"POST", "/api/orders", `{"items":[{"sku":"SKU-1","quantity":1}],"payment":{"token":"t"},"contact":{"email":"a\u0000@example.com"}}`, "contact.email"},
		{"POST", "/api/orders/" + orderID + "/cancel", `{"reason":"changed my mind\u0000"}`, "reason"},
		{"POST", "/api/orders/" + orderID + "/reject", `{"reason":"\u0000"}`, "reason"},
		{"POST", "/api/orders/" + orderID + "/approve", `{"reason":"ok\u0000"}`, "reason"},
		{"POST", "/api/inventory/SKU-1/adjustments", `{"warehouse":"a\u0000b","delta":1,"reason":"count"}`, "warehouse"},
		{"POST", "/api/inventory/SKU-1/adjustments", `{"warehouse":"w1","delta":1,"reason":"count\u0000"}`, "reason"},
		{"POST", "/api/auth/register", `{"email":"a@example.com","password":"correct horse battery\u0000","name":"A"}`, "password"},
		{"POST", "/api/auth/login", `{"email":"a@example.com\u0000","password":"p"}`, "email"},
		{"POST", "/api/auth/refresh", `{"refresh_token":"r\u0000"}`, "refresh_token"},
		{"POST", "/api/auth/logout", `{"refresh_token":"r\u0000"}`, "refresh_token"},
		{"PATCH", "/api/users/me", `{"time_zone":"Europe/Paris\u0000"}`, "time_zone"},
		{"PATCH", "/api/users/me", `{"email":"b@example.com","current_password":"\u0000"}`, "current_password"},
		{"PATCH", "/api/users/me", `{"notification_preferences":{"channels":["sms\u0000"]}}`, "notification_preferences.channels[0]"},
		{"PATCH", "/api/users/me", `{"notification_preferences":{"quiet_hours":{"start":"22:00\u0000","end":"07:00"}}}`, "notification_preferences.quiet_hours.start"},
	} {
		rec, p := e.call(c.method, c.path, c.body)
		if assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "%s %s %s: %s", c.method, c.path, c.body, rec.Body) {
			assert.Equal(t, []httpx.FieldError{{Field: c.field, Detail: "must not contain NUL characters"}}, p.Errors, "%s %s", c.path, c.body)
			assert.Contains(t, p.Detail, c.field+" must not contain NUL characters", c.body)
		}
	}
}

// TestNULOutsideBodiesIsRefused: the text the API reads from the path, the
// query and its headers cannot carry a NUL either.
func TestNULOutsideBodiesIsRefused(t *testing.T) {
	e := newEdge(t, &Server{})
	for _, c := range []struct {
		method, path string
		header       []string
	}{
		{"GET", "/api/inventory/SKU%00", nil},
		{"GET", "/api/orders?cursor=a%00b", nil},
		{"GET", "/api/notifications?order_id=%00", nil},
		{"POST", "/api/orders", []string{"Idempotency-Key", "k\x00"}},
		{"POST", "/api/inventory/SKU-1/adjustments", []string{"Idempotency-Key", "\x00"}},
	} {
		rec, p := e.call(c.method, c.path, "", c.header...)
		assert.Equal(t, http.StatusBadRequest, rec.Code, "%s %s %q: %s", c.method, c.path, c.header, rec.Body)
		assert.Equal(t, http.StatusBadRequest, p.Status, c.path)
	}
}

// TestBodyFieldNamesAreCaseSensitive: bodies are strict JSON; a name that
// matches a field only in another case is an unknown field, and every
// unknown field is named.
func TestBodyFieldNamesAreCaseSensitive(t *testing.T) {
	e := newEdge(t, &Server{})
	for _, c := range []struct {
		method, path, body string
		fields             []string
	}{
		{"POST", "/api/orders", `{"Items":[{"sku":"SKU-1","quantity":1}],"Payment":{"token":"tok_visa"}}`, []string{"Items", "Payment"}},
		{"POST", "/api/orders", `{"items":[{"sku":"SKU-1","Quantity":1}],"payment":{"token":"tok_visa"}}`, []string{"items[0].Quantity"}},
		{"POST", "/api/orders/" + orderID + "/cancel", `{"Reason":"x"}`, []string{"Reason"}},
		{"POST", "/api/inventory/SKU-1/adjustments", `{"warehouse":"w1","DELTA":1,"reason":"count"}`, []string{"DELTA"}},
		{"POST", "/api/auth/register", `{"Email":"a@example.com","password":"correct horse battery","name":"A"}`, []string{"Email"}},
		{"PATCH", "/api/users/me", `{"notification_preferences":{"quiet_hours":{"Start":"22:00","end":"07:00"}}}`, []string{"notification_preferences.quiet_hours.Start"}},
		{"PATCH", "/api/users/me", `{"notification_preferences":{"quiet_hours":{"start":"22:00","end":"07:00","x":1}}}`, []string{"notification_preferences.quiet_hours.x"}},
	} {
		rec, p := e.call(c.method, c.path, c.body)
		if !assert.Equal(t, http.StatusBadRequest, rec.Code, "%s %s %s: %s", c.method, c.path, c.body, rec.Body) {
			continue
		}
		var want []httpx.FieldError
		for _, f := range c.fields {
			want = append(want, httpx.FieldError{Field: f, Detail: "unknown field"})
			assert.Contains(t, p.Detail, "unknown field "+strconv.Quote(f), c.body)
		}
		assert.Equal(t, want, p.Errors, c.body)
	}
}

// TestUncleanPathsAreNotFound: dot segments, empty segments and encoded
// slashes get a 404 problem, not gorilla/mux's bare 301 to the cleaned path,
// and never reach the resource they clean or decode to.
func TestUncleanPathsAreNotFound(t *testing.T) {
	e := newEdge(t, &Server{})
	for _, path := range []string{
		"/api/orders/%2e%2e/stats", "/api/orders/../stats", "/api/./stats", "/api//orders", "//api/orders",
		"/api/orders/a%2Fb", "/api/orders/" + orderID + "%2Fevents", "/api/inventory/SKU-1%2F..%2F..%2Fstats",
		"/api/products/..", "/webhooks/twilio/.", "/api/openapi.json/../openapi.json",
	} {
		rec, p := e.call(http.MethodGet, path, "")
		assert.Equal(t, http.StatusNotFound, rec.Code, "%s: %v %s", path, rec.Header(), rec.Body)
		assert.Equal(t, http.StatusNotFound, p.Status, path)
		assert.Empty(t, rec.Header().Get("Location"), path)
	}
}

// TestDeliveryCallbacksRefuseNUL: a signed callback whose text holds a NUL
// is a 400, not a 500 the provider would retry for ever.
func TestDeliveryCallbacksRefuseNUL(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	e := newEdge(t, &Server{Callbacks: Callbacks{SendGridKey: &key.PublicKey}})
	for _, event := range []string{
		`{"event":"delivered","sg_event_id":"e1","sg_message_id":"m1.filter","timestamp":1,"reason":"a\u0000b"}`,
		`{"event":"delivered","sg_event_id":"e\u0000","sg_message_id":"m1.filter","timestamp":1}`,
	} {
		body := "[" + event + "]"
		timestamp := strconv.FormatInt(time.Now().Unix(), 10)
		sum := sha256.Sum256([]byte(timestamp + body))
		sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
		require.NoError(t, err)
		rec, _ := e.call(http.MethodPost, SendGridWebhookPath, body,
			eventwebhook.VerificationHTTPHeader, base64.StdEncoding.EncodeToString(sig), eventwebhook.TimestampHTTPHeader, timestamp)
		assert.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", event, rec.Body)
	}
}
