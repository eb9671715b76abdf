// Package telemetry connects the roles to OpenTelemetry: one meter provider
// per process, exported to Prometheus through the default registry, which
// every role's /metrics serves beside the client_golang metrics it has; and
// a tracer provider per role, exported over OTLP when the standard OTEL_*
// variables ask for it (tracing.go).
package telemetry

import (
	"sync"

	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// SecondsBuckets are the bounds of the histograms in seconds that the
// Temporal SDK, the workflows and the providers' calls record: from a fast
// activity (5 ms) to an order that waited a day for its approval. OpenTelemetry's default bounds (0 to
// 10000, made for milliseconds) would put every task latency in one bucket.
var SecondsBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400}

// meterProvider is made once: the exporter registers its collector with
// the default Prometheus registry, and several roles share a process in the
// integration tests.
var meterProvider = sync.OnceValues(func() (*sdkmetric.MeterProvider, error) {
	exporter, err := otelprom.New(otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, err
	}
	seconds := sdkmetric.NewView(
		sdkmetric.Instrument{Name: "*", Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SecondsBuckets}},
	)
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds)), nil
})

// MeterProvider is the process's meter provider, for the libraries that
// report their own metrics through OpenTelemetry (the pgx pool, the Redis
// client).
func MeterProvider() (metric.MeterProvider, error) { return meterProvider() }

// TemporalMetrics is the Temporal SDK's metrics handler: the client's
// requests and their latency, and a worker's task slots, pollers, sticky
// cache, schedule-to-start latencies and task failures, as temporal_*
// metrics on /metrics. Workflow code that records metrics through
// workflow.GetMetricsHandler goes through it too, which skips replays.
func TemporalMetrics() (client.MetricsHandler, error) {
	mp, err := meterProvider()
	if err != nil {
		return nil, err
	}
	return opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter: mp.Meter("go.temporal.io/sdk"),
		// The SDK's counters only grow: Prometheus counters, with _total.
		UseMonotonicCounters: true,
		// A metric that cannot be recorded is OpenTelemetry's to report
		// (its global error handler logs it), never a reason to panic.
		OnError: otel.Handle,
	}), nil
}
