package providers

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"HTTP date", http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, 30 * time.Second},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"SendGrid rate limit reset", http.Header{"X-Ratelimit-Reset": {"1767323105"}}, 60 * time.Second},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, retryAfter(tt.header, now))
		})
	}
}

func TestStatusErrorClassification(t *testing.T) {
	for status, permanent := range map[int]bool{400: true, 401: true, 404: true, 408: false, 429: false, 500: false, 503: false} {
		err := statusError(TwilioName, status, 0, "x", nil)
		assert.Equal(t, permanent, IsPermanent(err), "status %d", status)
		assert.Equal(t, status, StatusOf(err))
	}
}
