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
	// The dashboard runs no script from anywhere but itself, and is not framed.
	r.PathPrefix("/").Handler(httpx.SecurityHeaders("default-src 'self'; frame-ancestors 'none'", http.FileServerFS(files)))
	return httpx.Trace(tp, "frontend", httpx.WithRequestID(httpx.Observe("frontend", logger, r))), nil
}

// withoutWriteTimeout lifts the server's write deadline for one request.
func withoutWriteTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}
