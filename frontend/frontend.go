// Package frontend serves the dashboard: static pages embedded in the binary,
// and /api/ proxied to the API so the browser talks to one origin (no CORS).
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
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

//go:embed static
var static embed.FS

// New returns the dashboard's handler, proxying /api/ to apiURL; tp traces
// each request and its call to the API.
func New(apiURL string, logger *slog.Logger, tp trace.TracerProvider) (http.Handler, error) {
	target, err := url.Parse(apiURL)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("API_URL=%q: want an absolute URL such as http://127.0.0.1:8080", apiURL)
	}
	proxy := &httputil.ReverseProxy{
		Transport: httpx.TracedTransport(tp, "api"),
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
			// One request ID from the browser to the API's logs.
			r.Out.Header.Set(httpx.RequestIDHeader, httpx.RequestID(r.In.Context()))
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
	// An order's stream outlives the server's write timeout: the API
	// bounds it (minutes, with heartbeats), and the proxy ends with it.
	r.Path("/api/orders/{id}/stream").Methods(http.MethodGet).Handler(withoutWriteTimeout(proxy))
	r.PathPrefix("/api/").Handler(proxy)
	// The dashboard runs no script from anywhere but itself, and is not
	// framed. Its service worker is one of its own scripts: worker-src
	// falls back to default-src, so 'self' allows /sw.js and nothing else.
	site := httpx.SecurityHeaders(dashboardCSP, http.FileServerFS(files))
	r.Path(serviceWorkerPath).Handler(serviceWorker(site))
	r.PathPrefix("/").Handler(site)
	return httpx.Trace(tp, "frontend", httpx.WithRequestID(httpx.Observe("frontend", logger, r))), nil
}

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
