package webhooksign

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignedWebhookVerifiesWithEitherSecretOfARotation(t *testing.T) {
	old, current := NewSecret(), NewSecret()
	body := []byte(`{"type":"order.completed"}`)
	h := http.Header{}
	require.NoError(t, Sign(h, []string{current, old}, "msg_1", time.Now(), body))

	require.Equal(t, "msg_1", h.Get(IDHeader))
	require.Len(t, strings.Split(h.Get(SignatureHeader), " "), 2, "one signature per secret")
	require.NoError(t, Verify(current, h, body))
	require.NoError(t, Verify(old, h, body))
	require.Error(t, Verify(NewSecret(), h, body), "a stranger's secret")
	require.Error(t, Verify(current, h, []byte(`{"type":"order.failed"}`)), "a changed body")
}

func TestVerifyRefusesAReplayedMessage(t *testing.T) {
	secret := NewSecret()
	body := []byte(`{}`)
	h := http.Header{}
	require.NoError(t, Sign(h, []string{secret}, "msg_1", time.Now().Add(-time.Hour), body))
	require.Error(t, Verify(secret, h, body))
}

func TestCheckSecret(t *testing.T) {
	require.NoError(t, CheckSecret(NewSecret()))
	for _, bad := range []string{"", "sandbox", "whsec_sandbox", "whsec_c2hvcnQ="} {
		require.Error(t, CheckSecret(bad), bad)
	}
}

func TestSignNeedsASecret(t *testing.T) {
	require.Error(t, Sign(http.Header{}, nil, "msg_1", time.Now(), nil))
	require.Error(t, Sign(http.Header{}, []string{"whsec_!!"}, "msg_1", time.Now(), nil))
}
