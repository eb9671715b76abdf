package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// newID returns prefix followed by 2n random hex digits, the shape of Stripe
// (auth_..., cap_...) and Twilio (SM + 32 hex) identifiers.
func newID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return prefix + hex.EncodeToString(b)
}

// newSendGridMessageID returns a 22-character URL-safe id like SendGrid's
// X-Message-Id header.
func newSendGridMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
