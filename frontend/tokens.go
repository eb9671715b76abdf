package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// tokenClient signs users in and out at the API and refreshes their
// tokens, on the browser's behalf.
type tokenClient struct {
	api  *url.URL
	http *http.Client
}

// tokenResponse is the part of the API's TokenResponse the frontend reads.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	ExpiresIn    int             `json:"expires_in"`
	RefreshToken string          `json:"refresh_token"`
	User         json.RawMessage `json:"user"`
}

func (t tokenResponse) session(now time.Time, csrf string) session {
	return session{AccessToken: t.AccessToken, AccessExpires: now.Add(time.Duration(t.ExpiresIn) * time.Second),
		RefreshToken: t.RefreshToken, User: t.User, CSRF: csrf}
}

// apiAnswer is an API response the frontend passes on when it is not a
// success: its status, headers (Retry-After, the rate limits) and body (a
// problem+json).
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a *apiAnswer) Error() string { return fmt.Sprintf("the API answered %d", a.status) }

// errAPIUnreachable is a call to the API that got no answer.
var errAPIUnreachable = errors.New("the API is not reachable")

// post sends body to the API's path as the browser's request r would, with
// its request ID and client address (the API's sign-in limits count per
// address), and decodes a 2xx answer into out.
func (c tokenClient) post(ctx context.Context, r *http.Request, path string, body any, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api.JoinPath(path).String(), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set(httpx.RequestIDHeader, httpx.RequestID(r.Context()))
	req.Header.Set("X-Forwarded-For", forwardedFor(r))
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", errAPIUnreachable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiAnswer{status: resp.StatusCode, header: resp.Header, body: raw}
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// forwardedFor is r's X-Forwarded-For with r's peer appended, as the
// reverse proxy sends it for the requests it passes on.
func forwardedFor(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		return prior + ", " + host
	}
	return host
}

func (c tokenClient) login(ctx context.Context, r *http.Request, credentials json.RawMessage) (tokenResponse, error) {
	var t tokenResponse
	return t, c.post(ctx, r, "/api/auth/login", credentials, &t)
}

func (c tokenClient) refresh(ctx context.Context, r *http.Request, refreshToken string) (tokenResponse, error) {
	var t tokenResponse
	return t, c.post(ctx, r, "/api/auth/refresh", map[string]string{"refresh_token": refreshToken}, &t)
}

func (c tokenClient) logout(ctx context.Context, r *http.Request, refreshToken string) error {
	return c.post(ctx, r, "/api/auth/logout", map[string]string{"refresh_token": refreshToken}, nil)
}
