package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
)

// vapid is an application server's VAPID key pair.
type vapid struct{ key *ecdsa.PrivateKey }

func newVAPID(t *testing.T) vapid {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return vapid{key}
}

func (v vapid) public(t *testing.T) string {
	t.Helper()
	b, err := v.key.PublicKey.Bytes()
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorization is the RFC 8292 header for audience, expiring at exp.
func (v vapid) authorization(t *testing.T, audience string, exp time.Time, sub string) string {
	t.Helper()
	token, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"aud": audience, "exp": exp.Unix(), "sub": sub}).SignedString(v.key)
	require.NoError(t, err)
	return "vapid t=" + token + ", k=" + v.public(t)
}

func subscribeAt(t *testing.T, base, serverKey string) sandbox.PushSubscription {
	t.Helper()
	resp, body := do(t, base, call{method: http.MethodPost, path: "/_sandbox/webpush/subscriptions",
		body: `{"application_server_key":"` + serverKey + `"}`})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
	var sub sandbox.PushSubscription
	require.NoError(t, json.Unmarshal(body, &sub))
	return sub
}

// The Web Push endpoint refuses what a push service refuses, before it
// tries to decrypt (providers/webpush_test.go sends real messages).
func TestWebPushEndpointChecksWhatAPushServiceChecks(t *testing.T) {
	sb, base := start(t)
	server := newVAPID(t)
	sub := subscribeAt(t, base, server.public(t))
	assert.Len(t, sub.Keys.Auth, 22, "a 16-byte auth secret")
	endpoint, err := url.Parse(sub.Endpoint)
	require.NoError(t, err)
	audience := "http://" + endpoint.Host
	later := time.Now().Add(time.Hour)
	headers := func(authorization string) http.Header {
		return http.Header{"Authorization": {authorization}, "Ttl": {"60"}, "Content-Encoding": {"aes128gcm"}}
	}

	for name, tt := range map[string]struct {
		header http.Header
		body   string
		status int
	}{
		"no authorization":         {headers(""), "x", http.StatusUnauthorized},
		"another audience":         {headers(server.authorization(t, "https://push.example.com", later, "mailto:a@example.com")), "x", http.StatusUnauthorized},
		"expired":                  {headers(server.authorization(t, audience, time.Now().Add(-time.Minute), "mailto:a@example.com")), "x", http.StatusUnauthorized},
		"expiring in two days":     {headers(server.authorization(t, audience, time.Now().Add(48*time.Hour), "mailto:a@example.com")), "x", http.StatusUnauthorized},
		"no contact":               {headers(server.authorization(t, audience, later, "a@example.com")), "x", http.StatusUnauthorized},
		"another server's key":     {headers(newVAPID(t).authorization(t, audience, later, "mailto:a@example.com")), "x", http.StatusForbidden},
		"no TTL":                   {http.Header{"Authorization": {server.authorization(t, audience, later, "mailto:a@example.com")}, "Content-Encoding": {"aes128gcm"}}, "x", http.StatusBadRequest},
		"the old aesgcm encoding":  {http.Header{"Authorization": {server.authorization(t, audience, later, "mailto:a@example.com")}, "Ttl": {"60"}, "Content-Encoding": {"aesgcm"}}, "x", http.StatusUnsupportedMediaType},
		"over 4096 bytes":          {headers(server.authorization(t, audience, later, "mailto:a@example.com")), strings.Repeat("x", 4097), http.StatusRequestEntityTooLarge},
		"not an aes128gcm message": {headers(server.authorization(t, audience, later, "mailto:a@example.com")), strings.Repeat("x", 100), http.StatusBadRequest},
	} {
		resp, body := do(t, base, call{method: http.MethodPost, path: endpoint.Path, body: tt.body, header: tt.header})
		assert.Equal(t, tt.status, resp.StatusCode, "%s: %s", name, body)
	}

	resp, _ := do(t, base, call{method: http.MethodPost, path: endpoint.Path + "x", header: headers(server.authorization(t, audience, later, "mailto:a@example.com"))})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an unknown subscription")
	resp, _ = do(t, base, call{method: http.MethodDelete, path: "/_sandbox/webpush/subscriptions/" + sub.ID})
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, _ = do(t, base, call{method: http.MethodPost, path: endpoint.Path, header: headers(server.authorization(t, audience, later, "mailto:a@example.com"))})
	assert.Equal(t, http.StatusGone, resp.StatusCode, "unsubscribed")
	resp, _ = do(t, base, call{method: http.MethodDelete, path: "/_sandbox/webpush/subscriptions/nope"})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Empty(t, sb.Messages())
}
