package app

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/k8s/monitoring"
)

// observability is the local stack's Prometheus and Jaeger. Either may be
// missing (Prometheus not installable, bin/jaeger not built): the stack then
// runs without it, and the error says what to install or build.
type observability struct {
	prometheus    *devstack.Prometheus
	prometheusErr error
	jaeger        *devstack.Jaeger
	jaegerErr     error
}

// startObservability starts Jaeger and a Prometheus that scrapes jobs and
// evaluates the alert rules that ship for production.
func startObservability(ctx context.Context, dev config.Dev, jobs []devstack.ScrapeJob, logger *slog.Logger) *observability {
	o := &observability{}
	o.jaeger, o.jaegerErr = devstack.StartJaeger(ctx, devstack.JaegerOptions{
		Path: dev.Jaeger, Dir: filepath.Join(dev.DataDir, "jaeger"),
		UIPort: dev.JaegerPort, OTLPGRPCPort: dev.OTLPGRPCPort, OTLPHTTPPort: dev.OTLPHTTPPort,
		LogFile: filepath.Join(dev.DataDir, "logs", "jaeger.log"), Logger: logger,
	})
	if o.jaegerErr != nil {
		logger.Warn("running without Jaeger: the roles export no traces", "error", o.jaegerErr)
	}
	o.prometheus, o.prometheusErr = devstack.StartPrometheus(ctx, devstack.PrometheusOptions{
		DataDir: filepath.Join(dev.DataDir, "prometheus"), Port: dev.PrometheusPort,
		Jobs: jobs, Rules: monitoring.Rules,
		LogFile: filepath.Join(dev.DataDir, "logs", "prometheus.log"), Logger: logger,
	})
	if o.prometheusErr != nil {
		logger.Warn("running without Prometheus: nothing scrapes the roles' /metrics", "error", o.prometheusErr)
	}
	return o
}

// otelEnv points a role's OpenTelemetry exporter at Jaeger, with the standard
// variables every OpenTelemetry SDK reads; without Jaeger it is empty, and
// the role exports nothing.
func (o *observability) otelEnv(role string) []string {
	if o.jaeger == nil {
		return nil
	}
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + o.jaeger.OTLPHTTPEndpoint(),
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_SERVICE_NAME=orderflow-" + role,
	}
}

// tracesQueryURL is where the API reads the roles' traces back
// (TRACES_QUERY_URL): Jaeger's query service; without Jaeger it is empty,
// and the API says tracing is not configured.
func (o *observability) tracesQueryURL() string {
	if o.jaeger == nil {
		return ""
	}
	return o.jaeger.UIURL()
}

// stop stops what started.
func (o *observability) stop(ctx context.Context) error {
	var errs []error
	if o.prometheus != nil {
		errs = append(errs, o.prometheus.Stop(ctx))
	}
	if o.jaeger != nil {
		errs = append(errs, o.jaeger.Stop(ctx))
	}
	return errors.Join(errs...)
}
