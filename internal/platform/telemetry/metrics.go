// Package telemetry connects the roles to OpenTelemetry: one meter provider
// per process, exported to Prometheus through the default registry, which
// every role's /metrics serves beside the client_golang metrics it has.
package telemetry

import (
	"sync"

	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// meterProvider is made once: the exporter registers its collector with
// the default Prometheus registry, and several roles share a process in the
// integration tests.
var meterProvider = sync.OnceValues(func() (*sdkmetric.MeterProvider, error) {
	exporter, err := otelprom.New(otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, err
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)), nil
})

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
