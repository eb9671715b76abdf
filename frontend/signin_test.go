package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
)

// tokenIssuer plays the API's side of sign-in: it issues tokens as the API
// does (refresh tokens rotate, and one used twice is refused), and records
// what reaches its other endpoints.
type tokenIssuer struct {
	mu        sync.Mutex
	expiresIn int // seconds, of each access token
	issued    int
	spent     map[string]bool
	refreshes atomic.Int32
	seen      []http.Header // the headers of each /api/orders request
	// refreshDelay holds each refresh's answer back.
	refreshDelay time.Duration
}

func (a *tokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	issue := func() {
		a.issued++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-%d","token_type":"Bearer","expires_in":%d,"refresh_token":"refresh-%d","user":{"email":"c@example.com","role":"customer"}}`,
			a.issued, a.expiresIn, a.issued)
	}
	switch r.URL.Path {
	case "/api/auth/login":
		var c struct{ Email, Password string }
		_ = json.NewDecoder(r.Body).Decode(&c)
		if c.Password != "right" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":401,"detail":"invalid email or password"}`)
			return
		}
		issue()
	case "/api/auth/refresh":
		a.refreshes.Add(1)
		time.Sleep(a.refreshDelay)
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if a.spent[body.RefreshToken] {
			w.WriteHeader(http.StatusUnauthorized) // reused: the API revokes the session
			return
		}
		a.spent[body.RefreshToken] = true
		issue()
	case "/api/auth/logout":
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		a.spent[body.RefreshToken] = true
		w.WriteHeader(http.StatusNoContent)
	default:
		a.seen = append(a.seen, r.Header.Clone())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"orders":[]}`)
	}
}

func (a *tokenIssuer) lastSeen() http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[len(a.seen)-1]
}

// dashboard is one replica of the frontend in front of the issuer, with
// its sessions in a real Redis.
func dashboard(t *testing.T, apiURL string, rdb *redis.Client) *httptest.Server {
	t.Helper()
	h, err := New(Options{APIURL: apiURL, Sessions: rdb, Logger: slog.New(slog.DiscardHandler), Tracer: noop.NewTracerProvider()})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	r, err := devstack.StartRedis(context.Background(), devstack.RedisOptions{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// browser is a cookie-keeping client, as a browser tab.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

func do(t *testing.T, c *http.Client, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func signInAs(t *testing.T, c *http.Client, base string) sessionAnswer {
	t.Helper()
	resp, body := do(t, c, http.MethodPost, base+SessionPath, `{"email":"c@example.com","password":"right"}`, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var s sessionAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	require.NotEmpty(t, s.CSRFToken)
	return s
}

// The browser gets an HttpOnly cookie and the user, never a token; its
// requests reach the API with the session's access token and without the
// cookie; changes need the CSRF token; signing out ends the session at the
// API too.
func TestSessionKeepsTokensServerSide(t *testing.T) {
	api := &tokenIssuer{expiresIn: 900, spent: map[string]bool{}}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	srv := dashboard(t, apiSrv.URL, startRedis(t))
	tab := browser(t)

	resp, body := do(t, tab, http.MethodPost, srv.URL+SessionPath, `{"email":"c@example.com","password":"wrong"}`, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "invalid email or password", "the API's refusal is passed on")

	resp, body = do(t, tab, http.MethodPost, srv.URL+SessionPath, `{"email":"c@example.com","password":"right"}`, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "access-1")
	require.NotContains(t, body, "refresh-1")
	cookie := resp.Cookies()[0]
	require.Equal(t, "orderflow-session", cookie.Name)
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, cookie.SameSite)
	var s sessionAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	require.JSONEq(t, `{"email":"c@example.com","role":"customer"}`, string(s.User))

	resp, _ = do(t, tab, http.MethodGet, srv.URL+"/api/orders", "", map[string]string{"Authorization": "Bearer forged", "X-Forwarded-For": "203.0.113.7"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	seen := api.lastSeen()
	require.Equal(t, "Bearer access-1", seen.Get("Authorization"), "the session's token, not the browser's")
	require.Empty(t, seen.Get("Cookie"))
	require.Equal(t, "203.0.113.7, 127.0.0.1", seen.Get("X-Forwarded-For"), "the chain goes on to the API, which counts its limits per client")

	resp, body = do(t, tab, http.MethodPost, srv.URL+"/api/orders", `{}`, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a change without the CSRF token")
	require.Contains(t, body, CSRFHeader)
	resp, _ = do(t, tab, http.MethodPost, srv.URL+"/api/orders", `{}`, map[string]string{CSRFHeader: "guess"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = do(t, tab, http.MethodPost, srv.URL+"/api/orders", `{}`, map[string]string{CSRFHeader: s.CSRFToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, api.lastSeen().Get(CSRFHeader))

	resp, _ = do(t, tab, http.MethodPost, srv.URL+"/api/orders", `{}`,
		map[string]string{CSRFHeader: s.CSRFToken, "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "another site's page")

	resp, _ = do(t, tab, http.MethodPost, srv.URL+"/api/auth/refresh", `{"refresh_token":"refresh-1"}`, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "the page never trades tokens itself")

	resp, _ = do(t, tab, http.MethodGet, srv.URL+SessionPath, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "a reload finds its session")
	resp, _ = do(t, tab, http.MethodDelete, srv.URL+SessionPath, "", map[string]string{CSRFHeader: s.CSRFToken})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	api.mu.Lock()
	require.True(t, api.spent["refresh-1"], "revoked at the API")
	api.mu.Unlock()
	resp, _ = do(t, tab, http.MethodGet, srv.URL+SessionPath, "", nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "signed out")
	resp, _ = do(t, tab, http.MethodGet, srv.URL+"/api/orders", "", nil)
	require.Empty(t, api.lastSeen().Get("Authorization"), "signed out: no token goes with it")
}

// Many requests of one session, across two replicas, meet an access token
// about to expire: one refresh is made (a second use of the refresh token
// would revoke the session), and every request goes on with the new token.
func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	api := &tokenIssuer{expiresIn: 10, spent: map[string]bool{}} // inside refreshAhead: stale at once
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	rdb := startRedis(t)
	replicas := []*httptest.Server{dashboard(t, apiSrv.URL, rdb), dashboard(t, apiSrv.URL, rdb)}
	tab := browser(t)
	signInAs(t, tab, replicas[0].URL)
	api.mu.Lock()
	api.expiresIn = 900
	api.mu.Unlock()

	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range codes {
		wg.Go(func() {
			resp, err := tab.Get(replicas[i%2].URL + "/api/orders")
			if err == nil {
				codes[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	for i, code := range codes {
		require.Equal(t, http.StatusOK, code, "request %d", i)
	}
	require.EqualValues(t, 1, api.refreshes.Load())
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, h := range api.seen {
		require.Equal(t, "Bearer access-2", h.Get("Authorization"))
	}
}

// A browser that gives up on a request while its session's refresh is at
// the API (a tab hidden, a reload) does not cost the session: the refresh
// runs to its end and the new tokens are kept, where a spent refresh token
// would have had the API revoke the session at the next refresh.
func TestRefreshOutlivesAnAbandonedRequest(t *testing.T) {
	api := &tokenIssuer{expiresIn: 10, spent: map[string]bool{}, refreshDelay: 300 * time.Millisecond}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	srv := dashboard(t, apiSrv.URL, startRedis(t))
	tab := browser(t)
	signInAs(t, tab, srv.URL)
	api.mu.Lock()
	api.expiresIn = 900
	api.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/orders", nil)
	require.NoError(t, err)
	_, err = tab.Do(req)
	require.Error(t, err, "given up before the refresh answered")
	require.Eventually(t, func() bool {
		resp, err := tab.Get(srv.URL + "/api/orders")
		if err != nil {
			return false
		}
		resp.Body.Close()
		api.mu.Lock()
		defer api.mu.Unlock()
		return resp.StatusCode == http.StatusOK && len(api.seen) > 0 && api.seen[len(api.seen)-1].Get("Authorization") == "Bearer access-2"
	}, 5*time.Second, 50*time.Millisecond, "the refreshed tokens were kept")
	require.EqualValues(t, 1, api.refreshes.Load(), "no second use of the spent refresh token")
}

// A session the API no longer refreshes (revoked, expired) is ended: the
// page is told to sign in again.
func TestRefusedRefreshEndsTheSession(t *testing.T) {
	api := &tokenIssuer{expiresIn: 10, spent: map[string]bool{"refresh-1": true}}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	srv := dashboard(t, apiSrv.URL, startRedis(t))
	tab := browser(t)
	signInAs(t, tab, srv.URL)

	resp, _ := do(t, tab, http.MethodGet, srv.URL+SessionPath, "", nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "no session any more")
	resp, _ = do(t, tab, http.MethodGet, srv.URL+"/api/orders", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "public from here on")
	require.Empty(t, api.lastSeen().Get("Authorization"))
}
