package payloadcrypt

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestASealedSecretOpensWithItsKeyOnly(t *testing.T) {
	old, err := New("k1:" + strings.Repeat("A", 43) + "=")
	require.NoError(t, err)
	rotated, err := New("k2:" + strings.Repeat("B", 43) + "=,k1:" + strings.Repeat("A", 43) + "=")
	require.NoError(t, err)

	sealed := old.Seal("whsec_top-secret")
	assert.True(t, strings.HasPrefix(sealed, "k1:"))
	assert.NotContains(t, sealed, "top-secret")
	assert.NotEqual(t, sealed, old.Seal("whsec_top-secret"), "a fresh nonce each time")
	for _, c := range []*Codec{old, rotated} {
		got, err := c.Open(sealed)
		require.NoError(t, err)
		assert.Equal(t, "whsec_top-secret", got)
	}
	assert.True(t, strings.HasPrefix(rotated.Seal("x"), "k2:"), "the current key seals")

	other, err := New("k1:" + strings.Repeat("C", 43) + "=")
	require.NoError(t, err)
	_, err = other.Open(sealed)
	assert.ErrorContains(t, err, "does not decrypt")
	for _, bad := range []string{"", "k1", "k9:AAAA", "k1:!!!", "bad kid!:AAAA"} {
		_, err := old.Open(bad)
		assert.Error(t, err, bad)
	}
}
