package payloadcrypt_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

const (
	keyA = "2024-01:n0Jp5KQ3cpBqzC5wNfJ2d1mYq4bS8uVw9xE7aT6hLk0="
	keyB = "2025-01:Kx7Q0m2Wc9Yb4Vn1Tr6Ls3Pd8Fh5Jg0Ae2Uk7Oi9Zq4="
)

func codec(t *testing.T, spec string) *payloadcrypt.Codec {
	t.Helper()
	c, err := payloadcrypt.New(spec)
	require.NoError(t, err)
	return c
}

// order is a payload such as an order's input, with a customer's email in
// it, as the default data converter makes it.
func order(t *testing.T) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"email": "ada@example.com", "token": "tok_visa"})
	require.NoError(t, err)
	return p
}

func TestRoundTrip(t *testing.T) {
	c := codec(t, keyA)
	plain := order(t)
	enc, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Len(t, enc, 1)
	require.Equal(t, payloadcrypt.Encoding, string(enc[0].Metadata[converter.MetadataEncoding]))
	require.Equal(t, "2024-01", string(enc[0].Metadata[payloadcrypt.MetadataKeyID]))
	require.NotContains(t, string(enc[0].Data), "ada@example.com")
	require.NotContains(t, string(enc[0].Data), "json/plain", "the inner encoding is encrypted too")

	dec, err := c.Decode(enc)
	require.NoError(t, err)
	require.Equal(t, plain.Metadata, dec[0].Metadata)
	require.Equal(t, plain.Data, dec[0].Data)

	again, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.NotEqual(t, enc[0].Data, again[0].Data, "a fresh nonce per payload")
}

// The newest key comes first and encrypts; the older one still decrypts
// what it encrypted before the rotation.
func TestRotation(t *testing.T) {
	before := codec(t, keyA)
	old, err := before.Encode([]*commonpb.Payload{order(t)})
	require.NoError(t, err)

	after := codec(t, keyB+","+keyA)
	dec, err := after.Decode(old)
	require.NoError(t, err)
	require.Equal(t, order(t).Data, dec[0].Data)

	fresh, err := after.Encode([]*commonpb.Payload{order(t)})
	require.NoError(t, err)
	require.Equal(t, "2025-01", string(fresh[0].Metadata[payloadcrypt.MetadataKeyID]))
	_, err = before.Decode(fresh)
	require.ErrorContains(t, err, `key "2025-01", which is not among the keys (PAYLOAD_ENCRYPTION_KEYS)`)
}

func TestUnknownKeyIDIsAClearError(t *testing.T) {
	enc, err := codec(t, keyA).Encode([]*commonpb.Payload{order(t)})
	require.NoError(t, err)
	_, err = codec(t, keyB).Decode(enc)
	require.ErrorContains(t, err, `encrypted with key "2024-01", which is not among the keys`)

	// A key ID no codec makes is not quoted back to the caller.
	enc[0].Metadata[payloadcrypt.MetadataKeyID] = []byte(`<script>alert(1)</script>`)
	_, err = codec(t, keyB).Decode(enc)
	require.ErrorContains(t, err, "names no valid key ID")
	require.NotContains(t, err.Error(), "<script>")
}

func TestTamperingFails(t *testing.T) {
	c := codec(t, keyA)
	enc, err := c.Encode([]*commonpb.Payload{order(t)})
	require.NoError(t, err)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "does not decrypt")

	// The same key ID over another key: a payload of the other environment.
	other := codec(t, "2024-01:"+strings.SplitN(keyB, ":", 2)[1])
	enc, err = other.Encode([]*commonpb.Payload{order(t)})
	require.NoError(t, err)
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "does not decrypt")
}

// Payloads recorded before encryption, and the search attributes, decode
// as they are.
func TestClearPayloadsPassThrough(t *testing.T) {
	plain := order(t)
	dec, err := codec(t, keyA).Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, dec[0])
}

func TestKeysAreChecked(t *testing.T) {
	for spec, want := range map[string]string{
		"":                     "no key",
		"nokid":                "key 1: want kid:base64-key",
		"bad kid!:" + keyA[8:]: "key 1: want kid:base64-key",
		"k1:not base64!":       `key "k1" is not standard base64`,
		"k1:c2hvcnQ=":          `key "k1" is 5 bytes: want 32`,
		keyA + "," + keyA:      `key "2024-01" is listed twice`,
	} {
		_, err := payloadcrypt.New(spec)
		require.ErrorContains(t, err, want, spec)
		require.NotContains(t, err.Error(), keyA[8:], "an error never shows a key")
	}
}

// The converters a client gets encrypt values and failures' messages, and
// read both back.
func TestConverters(t *testing.T) {
	c := codec(t, keyA)
	dc := c.DataConverter()
	p, err := dc.ToPayload("ada@example.com")
	require.NoError(t, err)
	require.Equal(t, payloadcrypt.Encoding, string(p.Metadata[converter.MetadataEncoding]))
	var back string
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "ada@example.com", back)

	fc := c.FailureConverter()
	f := fc.ErrorToFailure(temporal.NewApplicationError("The 'To' number +15005550001 is not a valid phone number", "Permanent", "detail"))
	require.NotContains(t, f.String(), "+15005550001", "the message is encrypted")
	require.False(t, bytes.Contains(f.GetApplicationFailureInfo().GetDetails().GetPayloads()[0].GetData(), []byte("detail")))
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(fc.FailureToError(f), &appErr))
	require.Contains(t, appErr.Error(), "+15005550001")
	var detail string
	require.NoError(t, appErr.Details(&detail))
	require.Equal(t, "detail", detail)
}
