package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

// Nothing set is no tracing at all (unlike autoexport's default to OTLP on
// localhost); an endpoint or an exporter turns it on; "none" keeps it off.
func TestTracingFollowsTheStandardVariables(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"an OTLP endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"a traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"the console exporter", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true},
		{"none wins over an endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
				t.Setenv(name, tt.env[name])
			}
			tr, err := StartTracing(context.Background(), "orderflow-test")
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Shutdown(context.Background())
			if tr.Enabled != tt.want {
				t.Fatalf("enabled = %v, want %v", tr.Enabled, tt.want)
			}
			if _, isNoop := tr.Provider.(noop.TracerProvider); isNoop == tt.want {
				t.Fatalf("provider %T with tracing enabled=%v", tr.Provider, tt.want)
			}
		})
	}
}
