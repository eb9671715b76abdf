package carrier

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVerifyAcceptsOnlyTheSignedBodyWithinTolerance(t *testing.T) {
	secret := []byte("carrier-secret")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"status":"delivered"}`)
	header := Sign(secret, now, body)

	require.NoError(t, Verify(secret, header, body, now.Add(time.Minute)))
	require.ErrorIs(t, Verify(secret, header, []byte(`{"status":"lost"}`), now), ErrBadSignature, "an altered body")
	require.ErrorIs(t, Verify([]byte("another"), header, body, now), ErrBadSignature, "another secret")
	require.ErrorIs(t, Verify(secret, header, body, now.Add(SignatureTolerance+time.Second)), ErrStale, "a replay later")
	require.ErrorIs(t, Verify(secret, "", body, now), ErrNoSignature)
	require.ErrorIs(t, Verify(secret, "t=x,v1=00", body, now), ErrBadSignature)
	// A rotation signs with both secrets: either verifies.
	both := header + ",v1=" + mac([]byte("next"), "1800000000", body)
	require.NoError(t, Verify([]byte("next"), both, body, now))
}
