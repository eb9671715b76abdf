// Package frontend serves the dashboard: static pages embedded in the binary,
// and /api/ proxied to the API so the browser talks to one origin (no CORS).
// It is the browser's backend: it signs users in and keeps their tokens
// (signin.go), so the page never holds one.
package frontend

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

//go:embed static
var static embed.FS

// Options are what the dashboard's server needs.
type Options struct {
	// APIURL is where the API listens, e.g. http://127.0.0.1:8080.
	APIURL string
	// Sessions keeps the signed-in sessions, shared by every replica.
	Sessions *redis.Client
	// Production: the dashboard is served over HTTPS, so the session
	// cookie is Secure (and __Host-), and the sandbox's test cards are not
	// offered.
	Production bool
	// Links are where the order pages link an admin to.
	Links  config.DashboardLinks
	Logger *slog.Logger
	// Tracer traces each request and its call to the API.
	Tracer trace.TracerProvider
}

// New returns the dashboard's handler: its pages, its sessions at
// /session, and /api/ proxied to the API as the session's user.
func New(o Options) (http.Handler, error) {
	target, err := url.Parse(o.APIURL)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("API_URL=%q: want an absolute URL such as http://127.0.0.1:8080", o.APIURL)
	}
	logger := o.Logger
	transport := httpx.TracedTransport(o.Tracer, "api")
	auth := &signIn{tokens: tokenClient{api: target, http: &http.Client{Transport: transport, Timeout: 15 * time.Second}},
		store: sessions{rdb: o.Sessions}, secure: o.Production, logger: logger}
	proxy := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The chain so far, then this hop's peer: Rewrite starts
			// without it, and the API's limits count per client, whom
			// the chain names (TRUSTED_PROXIES).
			r.Out.Header["X-Forwarded-For"] = r.In.Header["X-Forwarded-For"]
			r.SetXForwarded()
			// One request ID from the browser to the API's logs.
			r.Out.Header.Set(httpx.RequestIDHeader, httpx.RequestID(r.In.Context()))
			// The API sees the session's user, and nothing of the
			// browser's session itself.
			r.Out.Header.Del("Authorization")
			r.Out.Header.Del("Cookie")
			r.Out.Header.Del(CSRFHeader)
			if token, ok := r.In.Context().Value(accessTokenKey{}).(string); ok {
				r.Out.Header.Set("Authorization", "Bearer "+token)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			// Ours are set already, and equal.
			resp.Header.Del(httpx.RequestIDHeader)
			resp.Header.Del(httpx.TraceIDHeader)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Warn("api unreachable", "request_id", httpx.RequestID(r.Context()), "error", err)
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadGateway, "the API is not reachable"))
		},
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	httpx.InstallRouting(r)
	r.Path(SessionPath).Methods(http.MethodPost).HandlerFunc(auth.create)
	r.Path(SessionPath).Methods(http.MethodGet).HandlerFunc(auth.show)
	r.Path(SessionPath).Methods(http.MethodDelete).HandlerFunc(auth.remove)
	r.Path("/config.json").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// The sandbox's test cards exist in development only.
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"temporal_ui_url": o.Links.TemporalUIURL, "trace_ui_url": o.Links.TraceUIURL,
			"test_cards": !o.Production})
	})
	// The page signs in and out at /session: the tokens of these stay here.
	r.Path("/api/auth/{op:login|refresh|logout}").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusNotFound, "the dashboard signs in and out at "+SessionPath))
	})
	api := auth.authorize(proxy)
	// The streams outlive the server's write timeout: the API bounds them
	// (minutes, with heartbeats), and the proxy ends with them.
	r.Path("/api/orders/{id}/stream").Methods(http.MethodGet).Handler(withoutWriteTimeout(api))
	r.PathPrefix("/api/streams/").Methods(http.MethodGet).Handler(withoutWriteTimeout(api))
	r.PathPrefix("/api/").Handler(api)
	// The dashboard runs no script from anywhere but itself, and is not
	// framed. Its service worker is one of its own scripts: worker-src
	// falls back to default-src, so 'self' allows /sw.js and nothing else.
	site := httpx.SecurityHeaders(dashboardCSP, http.FileServerFS(files))
	r.Path(serviceWorkerPath).Handler(serviceWorker(site))
	r.PathPrefix("/").Handler(site)
	// No other site's page can send a request that changes something.
	origins := http.NewCrossOriginProtection()
	origins.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "cross-origin requests are refused"))
	}))
	guarded := origins.Handler(r)
	return httpx.Trace(o.Tracer, "frontend", httpx.WithRequestID(httpx.Observe("frontend", logger, guarded))), nil
}

// SessionPath is where the page signs in (POST), finds its session after
// a reload (GET) and signs out (DELETE).
const SessionPath = "/session"

// dashboardCSP is the Content-Security-Policy of the dashboard's pages,
// scripts and service worker.
const dashboardCSP = "default-src 'self'; frame-ancestors 'none'"

// serviceWorkerPath is the dashboard's service worker (static/sw.js), at
// the root so that its scope is the whole dashboard.
const serviceWorkerPath = "/sw.js"

// serviceWorker serves the worker as JavaScript whatever the host's MIME
// table says (browsers register no worker of another type), and revalidated
// at every load, so that a new version reaches browsers at their next visit
// rather than when a cache lets it go.
func serviceWorker(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// withoutWriteTimeout lifts the server's write deadline for one request.
func withoutWriteTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}
