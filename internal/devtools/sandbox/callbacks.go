package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// The providers report what became of a message after accepting it. The
// sandbox does the same, in the background, once the message is accepted:
// every message is delivered.

var errNotP256 = errors.New("not an ECDSA P-256 private key")

// twilioStatuses are the statuses Twilio reports for a delivered SMS, in order.
var twilioStatuses = []string{"sent", "delivered"}

// sendGridEventTypes are the events SendGrid reports for a delivered email.
var sendGridEventTypes = []string{"processed", "delivered"}

// Close stops the delivery callbacks still under way and waits for them.
func (s *Sandbox) Close() {
	s.stopCallbacks()
	s.callbacks.Wait()
}

// inBackground runs a callback after the answer, as a provider does; Close
// cancels its context.
func (s *Sandbox) inBackground(post func(ctx context.Context)) {
	s.callbacks.Add(1)
	go func() {
		defer s.callbacks.Done()
		post(s.callbackCtx)
	}()
}

// postTwilioStatuses posts msg's statuses to its StatusCallback URL as Twilio
// does: a form signed with X-Twilio-Signature under the account's auth token.
func (s *Sandbox) postTwilioStatuses(ctx context.Context, callbackURL, authToken string, msg twilioMessage) {
	from := ""
	if msg.From != nil {
		from = *msg.From
	}
	for _, status := range twilioStatuses {
		form := url.Values{
			"AccountSid": {msg.AccountSid}, "ApiVersion": {msg.APIVersion},
			"MessageSid": {msg.Sid}, "SmsSid": {msg.Sid},
			"MessageStatus": {status}, "SmsStatus": {status},
			"To": {msg.To}, "From": {from},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, strings.NewReader(form.Encode()))
		if err != nil {
			s.log.Warn("sandbox: bad status callback URL", "provider", ProviderTwilio, "url", callbackURL, "error", err)
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", TwilioSignature(authToken, callbackURL, form))
		if !acknowledged(s.postCallback(ProviderTwilio, req)) {
			return // Twilio does not report "delivered" to a callback that refused "sent"
		}
	}
}

// TwilioSignature is Twilio's webhook signature (X-Twilio-Signature): base64
// HMAC-SHA1, keyed by the auth token, of the URL followed by every POST
// parameter's name and value, sorted by name. Tests sign forged callbacks
// with it.
func TwilioSignature(authToken, callbackURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(callbackURL))
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, value := range form[name] {
			mac.Write([]byte(name + value))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// postSendGridEvents posts one batch of events for an accepted mail to the
// event webhook, signed as SendGrid's signed event webhook is: ECDSA P-256
// over the timestamp followed by the payload. Custom args come back as
// top-level fields, and sg_message_id is X-Message-Id with a suffix, as at
// SendGrid.
func (s *Sandbox) postSendGridEvents(ctx context.Context, m Message) {
	at := s.now().Unix()
	var events []map[string]any
	for _, to := range strings.Split(m.To, ", ") {
		for _, kind := range sendGridEventTypes {
			ev := map[string]any{}
			for k, v := range m.CustomArgs {
				ev[k] = v
			}
			ev["email"], ev["timestamp"], ev["event"] = to, at, kind
			ev["sg_event_id"] = newSendGridMessageID()
			ev["sg_message_id"] = m.ID + ".filterdrecv-sandbox-0"
			ev["smtp-id"] = "<" + m.ID + "@sandbox.sendgrid.net>"
			if kind == "delivered" {
				ev["response"] = "250 OK"
			}
			events = append(events, ev)
		}
	}
	payload, _ := json.Marshal(events) // maps of strings and numbers always encode
	ts := strconv.FormatInt(at, 10)
	digest := sha256.Sum256(append([]byte(ts), payload...))
	signature, err := ecdsa.SignASN1(rand.Reader, s.sendGridKey, digest[:])
	if err != nil {
		s.log.Warn("sandbox: signing SendGrid events", "error", err)
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.sendGridEvents, strings.NewReader(string(payload)))
	if err != nil {
		s.log.Warn("sandbox: bad event webhook URL", "provider", ProviderSendGrid, "url", s.sendGridEvents, "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(eventwebhook.VerificationHTTPHeader, base64.StdEncoding.EncodeToString(signature))
	req.Header.Set(eventwebhook.TimestampHTTPHeader, ts)
	s.postCallback(ProviderSendGrid, req)
}

// postCallback sends one callback, logs what the receiver answered and
// returns its status (0 when it did not answer).
func (s *Sandbox) postCallback(provider string, req *http.Request) int {
	resp, err := s.callbackClient.Do(req)
	if err != nil {
		if req.Context().Err() == nil {
			s.log.Warn("sandbox: callback failed", "provider", provider, "url", req.URL.String(), "error", err)
		}
		return 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	level := s.log.Info
	if !acknowledged(resp.StatusCode) {
		level = s.log.Warn
	}
	level("sandbox: callback posted", "provider", provider, "url", req.URL.String(), "status", resp.StatusCode)
	return resp.StatusCode
}

// acknowledged reports whether a receiver took a callback.
func acknowledged(status int) bool { return status >= 200 && status <= 299 }

// SendGridEventWebhookPublicKey returns the public key that verifies the
// SendGrid events, base64 DER as SendGrid's settings page shows it.
func (s *Sandbox) SendGridEventWebhookPublicKey() string {
	der, _ := x509.MarshalPKIXPublicKey(&s.sendGridKey.PublicKey) // a P-256 key always marshals
	return base64.StdEncoding.EncodeToString(der)
}

// NewEventWebhookKey returns a new key pair for SendGrid's signed event
// webhook, both halves base64 DER: the private one (PKCS #8) for
// ParseEventWebhookKey, the public one for the receiver.
func NewEventWebhookKey() (private, public string) {
	key := newEventWebhookKey()
	priv, _ := x509.MarshalPKCS8PrivateKey(key) // a P-256 key always marshals
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	return base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(pub)
}

// ParseEventWebhookKey reads a private key from NewEventWebhookKey.
func ParseEventWebhookKey(private string) (*ecdsa.PrivateKey, error) {
	der, err := base64.StdEncoding.DecodeString(private)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errNotP256
	}
	return ec, nil
}

func newEventWebhookKey() *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("sandbox: generating a P-256 key: " + err.Error()) // crypto/rand does not fail
	}
	return key
}
