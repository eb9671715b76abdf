package httpx

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

var providerRequestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "orderflow_provider_request_duration_seconds",
	Help:    "Latency of each call to an outside provider (sendgrid, twilio, push, webhook, payments), by status code (\"error\" when no answer came).",
	Buckets: telemetry.SecondsBuckets,
}, []string{"provider", "code"})

// ProviderClient is the HTTP client of the calls to one outside provider:
// a timeout (the SDKs' default clients have none), each call's latency in
// orderflow_provider_request_duration_seconds, and with tracing on a
// client span per call whose trace context goes out in traceparent.
func ProviderClient(provider string, timeout time.Duration, tp trace.TracerProvider) *http.Client {
	return &http.Client{Timeout: timeout, Transport: InstrumentTransport(provider, tp, http.DefaultTransport)}
}

// InstrumentTransport is ProviderClient's instrumentation around base: for
// calls that must dial through a transport of their own, such as the
// webhooks' SSRF-safe one (safehttp.Options.Wrap).
func InstrumentTransport(provider string, tp trace.TracerProvider, base http.RoundTripper) http.RoundTripper {
	return timedTransport{provider: provider, next: traced(base, tp, provider)}
}

// TracedTransport makes each request through http.DefaultTransport a client
// span named "peer METHOD" whose context goes out in traceparent; with a
// no-op provider it adds nothing.
func TracedTransport(tp trace.TracerProvider, peer string) http.RoundTripper {
	return traced(http.DefaultTransport, tp, peer)
}

func traced(base http.RoundTripper, tp trace.TracerProvider, peer string) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(telemetry.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return peer + " " + r.Method }),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
	)
}

type timedTransport struct {
	provider string
	next     http.RoundTripper
}

func (t timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	providerRequestDuration.WithLabelValues(t.provider, code).Observe(time.Since(start).Seconds())
	return resp, err
}
