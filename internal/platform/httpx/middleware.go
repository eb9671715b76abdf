package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/internal/platform/requestid"
)

// RequestIDHeader carries the ID that follows a request through the services.
const RequestIDHeader = "X-Request-ID"

// validRequestID keeps caller-supplied IDs short and log-safe.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// RequestID returns the request ID stored in ctx, or "". It is
// requestid.From: Temporal calls made with ctx carry it on to workflows and
// activities.
func RequestID(ctx context.Context) string {
	return requestid.From(ctx)
}

// WithRequestID reuses a well-formed incoming X-Request-ID or generates one,
// echoes it in the response and stores it in the request context.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(requestid.With(r.Context(), id)))
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "orderflow_http_request_duration_seconds",
	Help:    "HTTP request latency by route and status code.",
	Buckets: prometheus.DefBuckets,
}, []string{"service", "method", "route", "code"})

var streamsServed = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_http_streams_total",
	Help: "Server-sent event streams served, by route and status code; their requests are not in orderflow_http_request_duration_seconds.",
}, []string{"service", "route", "code"})

func isEventStream(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "text/event-stream")
}

// Observe logs every request with its request ID and records its latency under
// the route template (not the raw path, which would explode label
// cardinality); the router must be set up with InstallRouting.
// A panic becomes a 500 problem and a logged stack, never a dropped
// connection; http.ErrAbortHandler, which aborts on purpose, goes on up to
// the server, which drops the connection without a word.
func Observe(service string, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		ctx, route := withRouteSlot(r.Context())
		r = r.WithContext(ctx)
		defer func() {
			v := recover()
			if v == http.ErrAbortHandler {
				// A proxy whose client left (httputil.ReverseProxy ends
				// a stream so): no fault, and nobody to answer.
				panic(v)
			}
			if v != nil {
				logger.Error("panic serving request", "request_id", RequestID(r.Context()), "panic", v, "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteProblem(rec, r, NewProblem(http.StatusInternalServerError, "internal error; see the server log for request "+RequestID(r.Context())))
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			elapsed := time.Since(start)
			if isEventStream(rec.Header()) {
				// A stream lasts minutes by design: its length is no
				// latency, and would flood the buckets' top.
				streamsServed.WithLabelValues(service, *route, strconv.Itoa(rec.status)).Inc()
			} else {
				requestDuration.WithLabelValues(service, r.Method, *route, strconv.Itoa(rec.status)).Observe(elapsed.Seconds())
			}
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			logger.Log(r.Context(), level, "http request",
				"request_id", RequestID(r.Context()), "method", r.Method, "route", *route,
				"status", rec.status, "duration_ms", elapsed.Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}
