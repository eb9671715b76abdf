package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// NewIdempotentPost is a JSON POST of in (nil: no body) to url under an
// Idempotency-Key, the way the payment gateway and the carrier take their
// requests: a retry with the same key gets the first answer.
func NewIdempotentPost(ctx context.Context, url, idempotencyKey string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Idempotency-Key", idempotencyKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
