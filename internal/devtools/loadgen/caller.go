package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// caller calls the API as one signed-in customer, signing in again when the
// access token expires during a long run.
type caller struct {
	http *http.Client
	// streams is for the order streams: no overall timeout, as a stream
	// lasts up to 5 minutes; the order's context bounds it.
	streams         *http.Client
	api             string
	email, password string
	mu              sync.Mutex
	token           string
}

// newCaller returns a caller of api for clients at once. It keeps a
// connection per client and stream open: the default transport keeps two,
// and a read phase would then measure TCP handshakes.
func newCaller(api, email, password string, clients int) *caller {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * clients
	return &caller{
		// Longer than a long-poll's 20 s.
		http:    &http.Client{Transport: t, Timeout: 30 * time.Second},
		streams: &http.Client{Transport: t},
		api:     api, email: email, password: password,
	}
}

// signIn gets a new access token, unless another client already replaced
// the stale one.
func (c *caller) signIn(ctx context.Context, stale string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != stale {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"email": c.email, "password": c.password})
	resp, err := c.request(ctx, c.http, http.MethodPost, "/api/auth/login", body, "", nil)
	if err != nil {
		return fmt.Errorf("sign in as %s: %w", c.email, err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	if err := decode(resp, http.StatusOK, &tokens); err != nil {
		return fmt.Errorf("sign in as %s: %w", c.email, err)
	}
	c.token = tokens.AccessToken
	return nil
}

func (c *caller) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// call sends a request and decodes the answer into out (nil: read and
// drop it), which must have status want.
func (c *caller) call(ctx context.Context, method, path string, body []byte, want int, out any) error {
	resp, err := c.send(ctx, c.http, method, path, body, nil)
	if err != nil {
		return err
	}
	return decode(resp, want, out)
}

// send sends a signed-in request with hc, signing in again once when the
// token has expired; the caller closes the body.
func (c *caller) send(ctx context.Context, hc *http.Client, method, path string, body []byte, header http.Header) (*http.Response, error) {
	token := c.currentToken()
	resp, err := c.request(ctx, hc, method, path, body, token, header)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || token == "" {
		return resp, err
	}
	resp.Body.Close()
	if err := c.signIn(ctx, token); err != nil {
		return nil, err
	}
	return c.request(ctx, hc, method, path, body, c.currentToken(), header)
}

func (c *caller) request(ctx context.Context, hc *http.Client, method, path string, body []byte, token string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return hc.Do(req)
}

// decode reads resp, closes it, and unmarshals it into out unless out is
// nil or the status is not want.
func decode(resp *http.Response, want int, out any) error {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if err := statusError(resp, want, raw); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

var errRateLimited = errors.New("rate limited")

// statusError says why resp is not the answer wanted, if it is not.
func statusError(resp *http.Response, want int, raw []byte) error {
	req := resp.Request
	switch {
	case resp.StatusCode == want:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		// The api limits requests per user; a load test is one user.
		return fmt.Errorf("%s %s: %w (%s): run the api with RATE_LIMIT_PER_MINUTE=0 (or high enough) for a load test: %s",
			req.Method, req.URL, errRateLimited, resp.Status, raw)
	default:
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, resp.Status, raw)
	}
}
