package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Outgoing webhooks carry these headers.
const (
	// SignatureHeader is "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
	// Signing the timestamp with the body lets a receiver reject replays.
	SignatureHeader = "X-Orderflow-Signature"
	// DeliveryHeader is the delivery's idempotency key: the same for every
	// retry of one delivery, so a receiver can drop duplicates.
	DeliveryHeader = "X-Orderflow-Delivery"
	// SignatureTolerance is how old (or how far in the future) a signature
	// may be before Verify refuses it as a replay.
	SignatureTolerance = 5 * time.Minute
)

// Errors from VerifyWebhook.
var (
	ErrNoSignature        = errors.New("webhook signature missing or malformed")
	ErrSignatureMismatch  = errors.New("webhook signature does not match")
	ErrSignatureTimestamp = errors.New("webhook signature timestamp outside the tolerance")
)

// SignWebhook returns the SignatureHeader value for body sent at t.
func SignWebhook(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + webhookMAC(secret, ts, body)
}

// VerifyWebhook checks a SignatureHeader value against the raw body, as a
// receiver should before trusting a webhook: the signature must match and
// its timestamp be within tolerance of now. Several v1 entries are allowed
// (a sender rotating its secret signs with both); one match suffices.
func VerifyWebhook(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var signatures []string
	for _, part := range strings.Split(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "t":
			ts = value
		case "v1":
			signatures = append(signatures, value)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(signatures) == 0 {
		return ErrNoSignature
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return ErrSignatureTimestamp
	}
	want := webhookMAC(secret, ts, body)
	for _, sig := range signatures {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

func webhookMAC(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
