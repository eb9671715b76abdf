package providers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
)

func TestWebhookSignatureVerifies(t *testing.T) {
	secret, body := []byte("whsec_test"), []byte(`{"id":"n-1"}`)
	sentAt := time.Unix(1767323105, 0)
	header := providers.SignWebhook(secret, sentAt, body)
	require.Regexp(t, `^t=1767323105,v1=[0-9a-f]{64}$`, header)

	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, header, body, sentAt.Add(time.Minute), nil},
		{"clock slightly behind", secret, header, body, sentAt.Add(-time.Minute), nil},
		{"rotated secret: one of two matches", secret, "t=1767323105,v1=00ff," + header[len("t=1767323105,"):], body, sentAt, nil},
		{"tampered body", secret, header, []byte(`{"id":"n-2"}`), sentAt, providers.ErrSignatureMismatch},
		{"wrong secret", []byte("other"), header, body, sentAt, providers.ErrSignatureMismatch},
		{"replayed later", secret, header, body, sentAt.Add(providers.SignatureTolerance + time.Second), providers.ErrSignatureTimestamp},
		{"from the future", secret, header, body, sentAt.Add(-providers.SignatureTolerance - time.Second), providers.ErrSignatureTimestamp},
		{"timestamp changed", secret, "t=1767323999" + header[len("t=1767323105"):], body, time.Unix(1767323999, 0), providers.ErrSignatureMismatch},
		{"missing", secret, "", body, sentAt, providers.ErrNoSignature},
		{"no v1", secret, "t=1767323105", body, sentAt, providers.ErrNoSignature},
		{"garbage", secret, "sha256=abc", body, sentAt, providers.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := providers.VerifyWebhook(tt.secret, tt.header, tt.body, tt.now, providers.SignatureTolerance)
			assert.ErrorIs(t, err, tt.want)
			if tt.want == nil {
				assert.NoError(t, err)
			}
		})
	}
}
