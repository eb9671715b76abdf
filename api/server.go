// Package api is orderflow's REST API: thin gorilla/mux handlers that
// validate requests at the edge, start and query Temporal workflows, and
// answer reads from the services' PostgreSQL read models.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/mux"
	"github.com/rs/cors"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/notifications"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/ratelimit"
	"github.com/orderflow/orderflow/workflows"
)

// Server holds the API's dependencies.
type Server struct {
	Orders    *orders.Store
	Inventory *inventory.Store
	Temporal  client.Client
	Namespace string // the Temporal namespace, for DescribeTaskQueue
	Logger    *slog.Logger
	// Checks are the readiness checks of the API's dependencies.
	Checks map[string]httpx.Check
	// ReservationTTL is how long each order's stock stays held while it is paid for.
	ReservationTTL time.Duration
	// Orders above ApprovalThreshold (minor units; 0: none) wait up to
	// ApprovalTimeout for an admin's approval.
	ApprovalThreshold int64
	ApprovalTimeout   time.Duration
	Notifications     *notifications.Store
	// Callbacks verifies the providers' delivery status callbacks.
	Callbacks Callbacks
	// RateLimit counts each client's /api requests (nil: no limit).
	RateLimit ratelimit.Store
	// TrustedProxies may name a request's client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// CORSAllowedOrigins may call /api from a browser page of theirs.
	CORSAllowedOrigins []string
}

// Handler returns the API's routes wrapped in the common middleware: request
// ID, logs and metrics, security headers, CORS (so even a 429 can be read by
// the dashboard), then the rate limit of /api.
func (s *Server) Handler() http.Handler {
	h := http.Handler(s.routes())
	if s.RateLimit != nil {
		// Only the public API: probes, metrics and the providers' signed
		// webhooks (/webhooks/*) come from a few known senders that a
		// per-IP limit would throttle as one client.
		h = ratelimit.Middleware(ratelimit.Options{
			Store:    s.RateLimit,
			ClientIP: httpx.ClientIP(s.TrustedProxies),
			Applies:  func(r *http.Request) bool { return httpx.IsAPIPath(r.URL.Path) },
			Logger:   s.Logger,
		})(h)
	}
	h = s.cors().Handler(h)
	h = httpx.APISecurityHeaders(h)
	return httpx.WithRequestID(httpx.Observe("api", s.Logger, h))
}

// cors lets the dashboard's origins, and only those, call the API from the
// browser; preflights are answered here. Origins are listed, never "*"
// (config refuses it), so credentials may be allowed for the sign-in to come.
func (s *Server) cors() *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins:   s.CORSAllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "Idempotency-Key", httpx.RequestIDHeader},
		ExposedHeaders:   []string{"Location", httpx.RequestIDHeader, "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"},
		AllowCredentials: true,
		MaxAge:           600,
	})
}

// routes registers every endpoint; openapi_test.go walks it.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	httpx.MountOps(r, s.Checks)
	a := r.PathPrefix("/api").Subrouter()
	a.HandleFunc("/orders", s.createOrder).Methods(http.MethodPost)
	a.HandleFunc("/orders", s.listOrders).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}", s.getOrder).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}/events", s.orderEvents).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}/cancel", s.cancelOrder).Methods(http.MethodPost)
	// Admin: approvals of orders above the threshold.
	a.HandleFunc("/orders/{id}/approve", s.decideOrder(workflows.UpdateApprove)).Methods(http.MethodPost)
	a.HandleFunc("/orders/{id}/reject", s.decideOrder(workflows.UpdateReject)).Methods(http.MethodPost)
	a.HandleFunc("/stats", s.stats).Methods(http.MethodGet)
	a.HandleFunc("/products", s.listProducts).Methods(http.MethodGet)
	s.inventoryRoutes(a)
	s.notificationRoutes(r, a)
	a.HandleFunc("/openapi.json", serveOpenAPI).Methods(http.MethodGet)
	httpx.InstallRouting(r)
	return r
}

// internalError logs err with the request ID and answers a 500 problem that
// names the request ID but not the error, which may hold internal details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, msg string, err error, attrs ...any) {
	s.Logger.Error(msg, append(attrs, "request_id", httpx.RequestID(r.Context()), "error", err)...)
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusInternalServerError,
		msg+"; see the server log for request "+httpx.RequestID(r.Context())))
}
