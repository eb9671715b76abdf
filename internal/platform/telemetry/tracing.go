package telemetry

import (
	"context"
	"os"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Propagator carries the trace context across processes as W3C
// traceparent/tracestate (HTTP headers, Temporal headers, Kafka headers)
// and baggage.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Tracing is a role's tracer provider.
type Tracing struct {
	Provider trace.TracerProvider
	// Enabled is false when no exporter is configured: the provider is a
	// no-op and the instrumentation that costs something is left out.
	Enabled bool
	// Service is the service name the role's spans are stored under
	// (OTEL_SERVICE_NAME, else orderflow-<role>).
	Service  string
	shutdown func(context.Context) error
}

// StartTracing sets up a role's tracing from the standard OpenTelemetry
// variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, ...). With none of them set, or
// OTEL_TRACES_EXPORTER=none, tracing is off and costs nothing. service
// names the role when OTEL_SERVICE_NAME does not.
func StartTracing(ctx context.Context, service string) (*Tracing, error) {
	if !tracingConfigured() {
		return &Tracing{Provider: noop.NewTracerProvider(), Service: service, shutdown: func(context.Context) error { return nil }}, nil
	}
	exporter, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, err
	}
	// The environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) wins
	// over the role's default name.
	res, err := resource.Merge(
		resource.NewSchemaless(semconv.ServiceName(service)),
		resource.Environment(),
	)
	if err != nil {
		return nil, err
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (parent-based, always on by
	// default); the batcher from OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	name, _ := res.Set().Value(semconv.ServiceNameKey)
	return &Tracing{Provider: tp, Enabled: true, Service: name.AsString(), shutdown: tp.Shutdown}, nil
}

// Shutdown sends the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// tracingConfigured reports whether the environment asks for an exporter.
// Unlike autoexport, which falls back to OTLP on localhost, nothing set
// means no tracing: a role in production without a collector must not
// spend anything on spans nobody receives.
func tracingConfigured() bool {
	if exporter, ok := os.LookupEnv("OTEL_TRACES_EXPORTER"); ok && exporter != "" {
		return exporter != "none"
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if os.Getenv(name) != "" {
			return true
		}
	}
	return false
}
