// Package webhooksign signs and verifies webhooks as the Standard Webhooks
// specification (standardwebhooks.com) says: headers webhook-id,
// webhook-timestamp and webhook-signature, an HMAC-SHA256 of
// "<id>.<timestamp>.<body>" under a "whsec_<base64>" secret. Receivers
// verify them with any Standard Webhooks library.
package webhooksign

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The headers of a signed webhook.
const (
	IDHeader        = standardwebhooks.HeaderWebhookID
	TimestampHeader = standardwebhooks.HeaderWebhookTimestamp
	SignatureHeader = standardwebhooks.HeaderWebhookSignature
)

// secretPrefix marks a Standard Webhooks secret; the rest is base64.
const secretPrefix = "whsec_"

// NewSecret returns a fresh secret of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// CheckSecret says what is wrong with secret, if anything: it must be
// "whsec_" and the base64 of at least 24 bytes.
func CheckSecret(secret string) error {
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return errors.New(`a webhook secret starts with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return errors.New(`a webhook secret is "whsec_" and base64`)
	}
	if len(key) < 24 {
		return fmt.Errorf("a webhook secret holds at least 24 bytes, not %d", len(key))
	}
	return nil
}

// Sign sets the three headers on h for body, sent as message id at t, with
// one signature per secret: during a rotation both the old and the new
// secret sign, so a receiver verifying with either accepts the message.
func Sign(h http.Header, secrets []string, id string, t time.Time, body []byte) error {
	signatures := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return err
		}
		sig, err := wh.Sign(id, t, body)
		if err != nil {
			return err
		}
		signatures = append(signatures, sig)
	}
	if len(signatures) == 0 {
		return errors.New("no secret to sign the webhook with")
	}
	h.Set(IDHeader, id)
	h.Set(TimestampHeader, strconv.FormatInt(t.Unix(), 10))
	h.Set(SignatureHeader, strings.Join(signatures, " "))
	return nil
}

// Verify checks a received webhook against secret, as a receiver must
// before trusting it: one of its signatures matches and its timestamp is
// within five minutes of now, so a captured message cannot be replayed
// later.
func Verify(secret string, h http.Header, body []byte) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	return wh.Verify(body, h)
}
