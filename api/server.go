// Package api is orderflow's REST API: thin gorilla/mux handlers that
// validate requests at the edge, start and query Temporal workflows, and
// answer reads from the services' PostgreSQL read models.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/mux"
	"github.com/rs/cors"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
)

// Server holds the API's dependencies.
type Server struct {
	Orders    *orders.Store
	Inventory *inventory.Store
	Temporal  client.Client
	Namespace string // the Temporal namespace, for DescribeTaskQueue
	Logger    *slog.Logger
	// Tracing traces each request (nil: none).
	Tracing trace.TracerProvider
	// Traces is where an order's trace is read back (nil: tracing is not
	// configured), among the spans of TraceService, the API's own.
	Traces       TraceFinder
	TraceService string
	// ReservationTTL is how long each order's stock stays held while it is paid for.
	ReservationTTL time.Duration
	// Orders above ApprovalThreshold (minor units; 0: none) wait up to
	// ApprovalTimeout for an admin's approval.
	ApprovalThreshold int64
	ApprovalTimeout   time.Duration
	// ReturnWindow is how long after its delivery a parcel can be returned.
	ReturnWindow  time.Duration
	Notifications *notifications.Store
	// Callbacks verifies the providers' delivery status callbacks.
	Callbacks Callbacks
	// RateLimit counts each client's /api requests: a signed-in user's by
	// user, anyone else's by IP address (nil: no limit). AddressRateLimit,
	// looser, also counts signed-in requests by address, so accounts made
	// by the dozen at one address do not multiply its allowance.
	RateLimit, AddressRateLimit ratelimit.Store
	// TrustedProxies may name a request's client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// CORSAllowedOrigins may call /api from a browser page of theirs.
	CORSAllowedOrigins []string
	// Changes wakes the long-polls and streams of an order when it
	// changes (order_wait.go, order_stream.go); without it there are none
	// (503).
	Changes   *orders.Changes
	followers followers
	// streamedStats are the figures this replica's stats streams send.
	streamedStats sharedStats

	// Codec encrypts and decrypts Temporal payloads for the codec server
	// (codec.go), which TemporalUIOrigins may call from a browser page of
	// theirs; DecodeForLocalWebUI (development only) lets the local Web UI
	// decode without a token (trustLocalWebUI).
	Codec               converter.PayloadCodec
	TemporalUIOrigins   []string
	DecodeForLocalWebUI bool

	// Users are the accounts; Keys sign their access tokens, good for
	// AccessTokenTTL, and refresh tokens are good for RefreshTokenTTL.
	Users           *users.Store
	Keys            *auth.Keys
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// Attempts throttle sign-in and sign-up.
	Attempts Attempts
	// Push is how browsers subscribe to Web Push (devices.go).
	Push PushSettings
	// Webhooks are the integrators' endpoints and their delivery logs
	// (webhook_endpoints.go).
	Webhooks *webhooks.Store
	Webhook  WebhookSettings
}

// Attempts count sign-in and sign-up attempts in Redis, before any password
// is hashed; a nil counter does not throttle.
type Attempts struct {
	// PerIP counts every sign-in and sign-up from one client address.
	PerIP *ratelimit.Redis
	// PerAccount counts the sign-ins to one email from one address: a
	// guesser's budget. PerAccountAnywhere, much looser, counts them from
	// every address, so guessing from many addresses stays bounded while
	// locking the owner out takes as many addresses. A successful sign-in
	// resets both.
	PerAccount, PerAccountAnywhere *ratelimit.Redis
}

// Handler returns the API's routes wrapped in the common middleware: request
// ID, logs and metrics, security headers, CORS (so even a 429 can be read by
// the dashboard), the caller's identity from their bearer token, then the
// rate limit of /api. Each route requires its documented access (routes).
func (s *Server) Handler() http.Handler {
	h := s.trustLocalWebUI(s.routes())
	// Only the public API: the providers' signed webhooks (/webhooks/*)
	// come from a few known senders that a per-IP limit would throttle as
	// one client.
	if s.AddressRateLimit != nil {
		h = ratelimit.Middleware(ratelimit.Options{
			Store: s.AddressRateLimit,
			Key:   func(r *http.Request) string { return ratelimit.IPKey(httpx.ClientIP(s.TrustedProxies)(r)) },
			Applies: func(r *http.Request) bool {
				_, signedIn := auth.FromContext(r.Context())
				return signedIn && httpx.IsAPIPath(r.URL.Path)
			},
			Logger:   s.Logger,
			Backstop: true,
		})(h)
	}
	if s.RateLimit != nil {
		h = ratelimit.Middleware(ratelimit.Options{
			Store:   s.RateLimit,
			Key:     s.rateLimitKey,
			Applies: func(r *http.Request) bool { return httpx.IsAPIPath(r.URL.Path) },
			Logger:  s.Logger,
		})(h)
	}
	if s.Keys != nil {
		h = auth.Authenticate(s.Keys)(h)
	}
	h = s.withCORS(s.withClientAddr(h))
	h = httpx.APISecurityHeaders(h)
	return httpx.Trace(s.tracerProvider(), "api", httpx.WithRequestID(httpx.Observe("api", s.Logger, h)))
}

func (s *Server) tracerProvider() trace.TracerProvider {
	if s.Tracing == nil {
		return noop.NewTracerProvider()
	}
	return s.Tracing
}

// cors lets the dashboard's origins, and only those, call the API from the
// browser; preflights are answered here. Origins are listed, never "*"
// (config refuses it), so credentials may be allowed for the sign-in to come.
func (s *Server) cors() *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins:   s.CORSAllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "Idempotency-Key", httpx.RequestIDHeader},
		ExposedHeaders:   []string{"Location", httpx.RequestIDHeader, httpx.TraceIDHeader, "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"},
		AllowCredentials: true,
		MaxAge:           600,
	})
}

// rateLimitKey counts a signed-in user's requests as theirs wherever they
// come from, and anyone else's by their address.
func (s *Server) rateLimitKey(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return ratelimit.UserKey(p.UserID)
	}
	return ratelimit.IPKey(httpx.ClientIP(s.TrustedProxies)(r))
}

// routes registers every endpoint: the providers' webhooks, the codec
// server and this document by hand, the rest generated from openapi.yaml;
// each requires the access its operation documents (requireAccess). The
// probes and metrics are on the ops port (internal/app), not here.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(requireAccess)
	// The providers sign their callbacks; the handlers check the signatures.
	r.HandleFunc(TwilioWebhookPath, s.twilioWebhook).Methods(http.MethodPost)
	r.HandleFunc(SendGridWebhookPath, s.sendGridWebhook).Methods(http.MethodPost)
	r.HandleFunc(CarrierWebhookPath, s.carrierWebhook).Methods(http.MethodPost)
	s.mountCodec(r)
	r.HandleFunc("/api/openapi.json", serveOpenAPI).Methods(http.MethodGet)
	s.mountOperations(r)
	httpx.InstallRouting(r)
	return r
}

type clientAddrKey struct{}

// withClientAddr keeps the request's client address, as TrustedProxies
// name it, for the handlers that count attempts by address.
func (s *Server) withClientAddr(next http.Handler) http.Handler {
	clientIP := httpx.ClientIP(s.TrustedProxies)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, clientIP(r))))
	})
}

func clientAddr(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a
}

// internalError logs err with the request ID and answers a 500 problem that
// names the request ID but not the error, which may hold internal details.
// A request that ran out of time (a client gone, a wait for a password
// hashing slot too long) is a 503 to retry, not a server fault.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, msg string, err error, attrs ...any) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.Logger.Info(msg+": request ran out of time", append(attrs, "request_id", httpx.RequestID(r.Context()), "error", err)...)
		w.Header().Set("Retry-After", "1")
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, msg+": the server is busy; retry shortly"))
		return
	}
	s.Logger.Error(msg, append(attrs, "request_id", httpx.RequestID(r.Context()), "error", err)...)
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusInternalServerError,
		msg+"; see the server log for request "+httpx.RequestID(r.Context())))
}
