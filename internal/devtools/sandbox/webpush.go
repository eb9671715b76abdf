package sandbox

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/mux"
)

// The Web Push service (RFC 8030) stands in for a browser's push service
// and for the browser itself. POST /_sandbox/webpush/subscriptions makes a
// subscription as PushManager.subscribe would: a P-256 key pair and an auth
// secret of its own, answered as PushSubscription.toJSON() (endpoint,
// keys) with its id. Its endpoint, POST /webpush/{id}, takes messages as a
// push service does, with VAPID authorization (RFC 8292), and decrypts
// them (RFC 8291) as the browser would, recording the plaintext as a
// Message (provider push, To the endpoint). DELETE
// /_sandbox/webpush/subscriptions/{id} makes the subscription gone: its
// endpoint answers 410 from then on, as for a browser that unsubscribed.
// The push provider's faults apply to the endpoints too.

// webPushMaxBody is the largest message a push service must take (RFC
// 8030 section 7.2); a larger one is 413.
const webPushMaxBody = 4096

// maxVAPIDLifetime is how far ahead a VAPID token may expire (RFC 8292
// section 2).
const maxVAPIDLifetime = 24 * time.Hour

// pushSubscription is a subscription the sandbox made: its browser's keys.
type pushSubscription struct {
	key        *ecdh.PrivateKey
	authSecret []byte
	// serverKey, when set, is the applicationServerKey it was made for:
	// messages signed with another VAPID key are refused (403).
	serverKey string
	gone      bool
}

// PushSubscription is a subscription as POST /_sandbox/webpush/subscriptions
// answers it: PushSubscription.toJSON()'s fields, and the ID that makes it
// gone.
type PushSubscription struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// createPushSubscription is POST /_sandbox/webpush/subscriptions, with an
// optional {"application_server_key": "<VAPID public key>"}.
func (s *Sandbox) createPushSubscription(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ApplicationServerKey string `json:"application_server_key"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.ApplicationServerKey != "" {
		if _, err := vapidPublicKey(req.ApplicationServerKey); err != nil {
			writeProblem(w, http.StatusBadRequest, "application_server_key: "+err.Error())
			return
		}
	}
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	sub := &pushSubscription{key: key, authSecret: make([]byte, 16), serverKey: strings.TrimRight(req.ApplicationServerKey, "=")}
	_, _ = rand.Read(sub.authSecret) // crypto/rand.Read never returns an error

	var out PushSubscription
	out.ID = newID("sub_", 16)
	out.Endpoint = "http://" + r.Host + "/webpush/" + out.ID
	out.Keys.P256dh = base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	out.Keys.Auth = base64.RawURLEncoding.EncodeToString(sub.authSecret)
	s.mu.Lock()
	s.pushSubscriptions[out.ID] = sub
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// expirePushSubscription is DELETE /_sandbox/webpush/subscriptions/{id}.
func (s *Sandbox) expirePushSubscription(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sub, ok := s.pushSubscriptions[mux.Vars(r)["id"]]
	if ok {
		sub.gone = true
	}
	s.mu.Unlock()
	if !ok {
		writeProblem(w, http.StatusNotFound, "no such subscription")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// receiveWebPush is POST /webpush/{id}: a push message for a subscription.
func (s *Sandbox) receiveWebPush(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	s.mu.Lock()
	sub, ok := s.pushSubscriptions[id]
	var gone bool
	if ok {
		gone = sub.gone
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeProblem(w, http.StatusNotFound, "no such subscription")
		return
	case gone:
		writeProblem(w, http.StatusGone, "the subscription has expired or was unsubscribed")
		return
	}

	endpoint := "http://" + r.Host + r.URL.Path
	signer, err := verifyVAPID(r.Header.Get("Authorization"), "http://"+r.Host, time.Now())
	if err != nil {
		writeProblem(w, http.StatusUnauthorized, "VAPID authorization: "+err.Error())
		return
	}
	if sub.serverKey != "" && signer != sub.serverKey {
		writeProblem(w, http.StatusForbidden, "the VAPID key is not the applicationServerKey the subscription was made with")
		return
	}
	if r.Header.Get("TTL") == "" {
		writeProblem(w, http.StatusBadRequest, "the TTL header is required")
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		writeProblem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q: want aes128gcm (RFC 8291)", ce))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(body) > webPushMaxBody {
		writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d bytes: a push message is at most %d", len(body), webPushMaxBody))
		return
	}
	// A real push service forwards what it cannot read, and the browser
	// drops a message that does not decrypt; the sandbox refuses it (400)
	// so that a test sees the fault where it was made.
	plain, err := decryptWebPush(body, sub.key, sub.authSecret)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "the message does not decrypt: "+err.Error())
		return
	}

	msg := Message{Provider: ProviderPush, ID: newID("wp_", 12), To: endpoint, Body: string(plain),
		Headers: map[string]string{"TTL": r.Header.Get("TTL"), "Urgency": r.Header.Get("Urgency"), "Topic": r.Header.Get("Topic")}}
	// The service worker's payload, when it is orderflow's JSON.
	var shown struct {
		Title string            `json:"title"`
		Body  string            `json:"body"`
		Data  map[string]string `json:"data"`
	}
	if json.Unmarshal(plain, &shown) == nil && shown.Body != "" {
		msg.Subject, msg.Body, msg.CustomArgs = shown.Title, shown.Body, merge(nil, shown.Data)
	}
	s.mu.Lock()
	s.recordMessage(msg)
	s.mu.Unlock()
	w.Header().Set("Location", "/webpush/messages/"+msg.ID)
	w.WriteHeader(http.StatusCreated)
}

// verifyVAPID checks an RFC 8292 authorization, "vapid t=<JWT>, k=<public
// key>": an ES256 JWT signed by the key, for audience (the push service's
// origin), expiring within 24 hours, with a contact in "sub". It returns
// the key.
func verifyVAPID(authorization, audience string, now time.Time) (string, error) {
	params, ok := strings.CutPrefix(authorization, "vapid ")
	if !ok {
		return "", errors.New(`want "vapid t=<JWT>, k=<public key>"`)
	}
	var token, key string
	for _, p := range strings.Split(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	pub, err := vapidPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("k: %w", err)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithAudience(audience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case err != nil:
		return "", fmt.Errorf("t: %w", err)
	case claims.ExpiresAt.After(now.Add(maxVAPIDLifetime)):
		return "", errors.New("t: expires more than 24 hours ahead")
	case !strings.HasPrefix(claims.Subject, "mailto:") && !strings.HasPrefix(claims.Subject, "https:"):
		return "", fmt.Errorf("t: sub %q is not a mailto: or https: contact", claims.Subject)
	}
	return strings.TrimRight(key, "="), nil
}

// vapidPublicKey reads an uncompressed P-256 point in base64url.
func vapidPublicKey(s string) (*ecdsa.PublicKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("not base64url")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
}
