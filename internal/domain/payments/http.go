package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// HTTPGateway talks to the gateway's JSON API (the sandbox in development).
type HTTPGateway struct {
	baseURL string
	client  *http.Client
}

var _ Gateway = (*HTTPGateway)(nil)

// NewHTTPGateway returns a gateway client for baseURL. A nil httpClient gets
// a 10 s timeout, so that a hung gateway cannot hold an activity until its
// own, much longer, timeout.
func NewHTTPGateway(baseURL string, httpClient *http.Client) *HTTPGateway {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &HTTPGateway{baseURL: strings.TrimRight(baseURL, "/"), client: httpClient}
}

func (g *HTTPGateway) Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error) {
	body := struct {
		Amount    int64  `json:"amount"`
		Currency  string `json:"currency"`
		Token     string `json:"token"`
		Reference string `json:"reference"`
	}{req.Amount, req.Currency, req.Token, req.Reference}
	var auth Authorization
	err := g.post(ctx, "/v1/authorizations", req.IdempotencyKey, body, &auth)
	return auth, err
}

// Capture captures amount of the authorization; 0 captures all of it.
func (g *HTTPGateway) Capture(ctx context.Context, authorizationID string, amount int64, idempotencyKey string) (Capture, error) {
	var c Capture
	err := g.post(ctx, "/v1/authorizations/"+url.PathEscape(authorizationID)+"/capture", idempotencyKey, amountBody(amount), &c)
	return c, err
}

func (g *HTTPGateway) Void(ctx context.Context, authorizationID, idempotencyKey string) error {
	err := g.post(ctx, "/v1/authorizations/"+url.PathEscape(authorizationID)+"/void", idempotencyKey, nil, nil)
	var declined *DeclinedError
	if errors.As(err, &declined) && declined.Code == "already_voided" {
		return nil // the goal of a void is reached
	}
	return err
}

// Refund refunds amount of the capture; 0 refunds what is left. The same key
// returns the same refund rather than refunding twice.
func (g *HTTPGateway) Refund(ctx context.Context, captureID string, amount int64, idempotencyKey string) (Refund, error) {
	var rf Refund
	err := g.post(ctx, "/v1/captures/"+url.PathEscape(captureID)+"/refunds", idempotencyKey, amountBody(amount), &rf)
	return rf, err
}

// FindAuthorizations is GET /v1/authorizations?reference=: a read, safe to
// repeat, that never authorizes anything.
func (g *HTTPGateway) FindAuthorizations(ctx context.Context, reference string) ([]Authorization, error) {
	path := "/v1/authorizations?reference=" + url.QueryEscape(reference)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	var list struct {
		Data []Authorization `json:"data"`
	}
	return list.Data, g.do(req, &list)
}

// amountBody leaves the amount out when it is 0, which the gateway reads as
// "all of it".
func amountBody(amount int64) any {
	if amount == 0 {
		return nil
	}
	return map[string]int64{"amount": amount}
}

// post sends in (nil: no body) with the idempotency key and decodes a 2xx
// answer into out (nil: ignore it). Refusals come back as *DeclinedError.
func (g *HTTPGateway) post(ctx context.Context, path, idempotencyKey string, in, out any) error {
	req, err := httpx.NewIdempotentPost(ctx, g.baseURL+path, idempotencyKey, in)
	if err != nil {
		return fmt.Errorf("payments: POST %s: %w", path, err)
	}
	return g.do(req, out)
}

// do sends req and decodes a 2xx answer into out (nil: ignore it).
func (g *HTTPGateway) do(req *http.Request, out any) error {
	call := req.Method + " " + req.URL.Path
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("payments: %s: %w", call, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("payments: %s: reading answer: %w", call, err)
	}
	if resp.StatusCode >= 300 {
		return responseError(call, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("payments: %s: decoding answer: %w", call, err)
	}
	return nil
}

// responseError classifies a non-2xx answer: a 4xx other than 408 and 429
// will never succeed and is a *DeclinedError; anything else is transient,
// and a *GatewayError when the gateway said in its own words that it failed.
func responseError(call string, status int, raw []byte) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	answered := json.Unmarshal(raw, &body) == nil && body.Error.Code != ""
	if !answered {
		body.Error.Message = strings.TrimSpace(string(raw))
	}
	permanent := status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
	switch {
	case permanent:
		return &DeclinedError{Status: status, Code: body.Error.Code, Message: body.Error.Message}
	case answered:
		return &GatewayError{Status: status, Code: body.Error.Code, Message: body.Error.Message}
	}
	// A proxy's error page or an empty body: the gateway may never have
	// seen the request, or may have carried it out.
	return fmt.Errorf("payments: %s: gateway answered %d %s: %s", call, status, http.StatusText(status), body.Error.Message)
}
