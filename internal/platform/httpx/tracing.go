package httpx

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// TraceIDHeader carries the request's trace ID in every response while
// tracing is on, so a user reporting a problem can quote it.
const TraceIDHeader = "X-Trace-ID"

// Trace gives each request a server span that continues the caller's W3C
// trace context (recordRoute names it after the route template), except
// the probes and scrapes, which would bury the traces that matter. With a
// no-op provider it only passes the request on.
func Trace(tp trace.TracerProvider, service string, next http.Handler) http.Handler {
	withTraceID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			w.Header().Set(TraceIDHeader, sc.TraceID().String())
		}
		next.ServeHTTP(w, r)
	})
	return otelhttp.NewHandler(withTraceID, service,
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(telemetry.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return !isOpsPath(r.URL.Path) }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		// The request metrics are Observe's, labelled by route.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
	)
}

func isOpsPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}
