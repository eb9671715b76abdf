package carrier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a tracking callback's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the shared
// secret>". The timestamp is signed too, so an old callback cannot be
// replayed later with a fresh one.
const SignatureHeader = "Carrier-Signature"

// SignatureTolerance is how far a callback's timestamp may be from the
// receiver's clock.
const SignatureTolerance = 5 * time.Minute

// Sign returns the SignatureHeader value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no " + SignatureHeader + " header")
	ErrBadSignature = errors.New("the signature does not match the body")
	ErrStale        = errors.New("the signature's timestamp is too far from now")
)

// Verify checks header (SignatureHeader's value) against body at now.
func Verify(secret []byte, header string, body []byte, now time.Time) error {
	if header == "" {
		return ErrNoSignature
	}
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
