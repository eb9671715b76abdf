package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/yaml"
)

// JaegerOptions configures StartJaeger.
type JaegerOptions struct {
	// Path is the jaeger binary (bin/jaeger, built from jaeger/go.mod).
	Path string
	// Dir receives the generated configuration; traces are kept in memory
	// only, gone when Jaeger stops. Created if missing.
	Dir string
	// UIPort is the query service's (web UI and HTTP API), OTLPGRPCPort and
	// OTLPHTTPPort the OTLP receivers', all on 127.0.0.1; 0 picks a free one.
	UIPort, OTLPGRPCPort, OTLPHTTPPort int
	// LogFile receives the server's output; "" means Dir/jaeger.log.
	LogFile string
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// Jaeger is Jaeger v2 all-in-one (an OpenTelemetry Collector distribution
// with Jaeger's storage and query extensions) as a child process: OTLP in,
// traces kept in memory, the web UI to look at them.
type Jaeger struct {
	ports   jaegerPorts
	process *child
}

// jaegerPorts are the listeners of one Jaeger, all on loopback.
type jaegerPorts struct {
	UI, QueryGRPC, OTLPGRPC, OTLPHTTP, Health int
}

// StartJaeger runs Jaeger and returns once its health check says every
// component has started, receivers included.
func StartJaeger(ctx context.Context, o JaegerOptions) (*Jaeger, error) {
	if !isFile(o.Path) {
		return nil, fmt.Errorf("jaeger: no binary at %q: build it with `make bin/jaeger`", o.Path)
	}
	logger := loggerOrDefault(o.Logger)
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("jaeger directory: %w", err)
	}
	// The query gRPC API and the health check are for machines only:
	// free ports, so that they never collide with another Jaeger's defaults.
	ports := jaegerPorts{UI: o.UIPort, OTLPGRPC: o.OTLPGRPCPort, OTLPHTTP: o.OTLPHTTPPort}
	for _, port := range []*int{&ports.UI, &ports.QueryGRPC, &ports.OTLPGRPC, &ports.OTLPHTTP, &ports.Health} {
		if *port, err = portOrFree(*port); err != nil {
			return nil, err
		}
	}
	config, err := jaegerConfig(ports)
	if err != nil {
		return nil, err
	}
	configFile := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(configFile, config, 0o644); err != nil {
		return nil, fmt.Errorf("jaeger configuration: %w", err)
	}
	logFile := o.LogFile
	if logFile == "" {
		logFile = filepath.Join(dir, "jaeger.log")
	}
	spec := childSpec{
		name:       "Jaeger",
		path:       o.Path,
		args:       []string{"--config", configFile},
		logPath:    logFile,
		stopSignal: syscall.SIGTERM, // the collector drains its pipelines, then exits
	}
	j := &Jaeger{ports: ports}
	health := fmt.Sprintf("http://%s/status", loopback(ports.Health))
	if j.process, err = startChild(ctx, spec, logger, HTTPReady(health)); err != nil {
		return nil, err
	}
	logger.Info("Jaeger ready", "ui", j.UIURL(), "otlp_http", j.OTLPHTTPEndpoint())
	return j, nil
}

// UIURL is the query service's address: its HTTP API (/api/services,
// /api/traces) and the web UI, which a build from the Go module lacks (the
// UI's assets are built apart, with npm): it serves a placeholder page.
func (j *Jaeger) UIURL() string { return "http://" + loopback(j.ports.UI) }

// OTLPHTTPEndpoint is the OTLP/HTTP receiver's base URL, the value for
// OTEL_EXPORTER_OTLP_ENDPOINT with protocol http/protobuf.
func (j *Jaeger) OTLPHTTPEndpoint() string { return "http://" + loopback(j.ports.OTLPHTTP) }

// OTLPGRPCAddr is the OTLP/gRPC receiver's host:port.
func (j *Jaeger) OTLPGRPCAddr() string { return loopback(j.ports.OTLPGRPC) }

// PID is Jaeger's process id, for ProcessesFile.
func (j *Jaeger) PID() int { return j.process.pid() }

// Stop shuts Jaeger down and waits for it; if ctx ends first, or after 20 s,
// it is killed. Calling it again does nothing.
func (j *Jaeger) Stop(ctx context.Context) error {
	return j.process.stop(ctx)
}

// jaegerConfig is Jaeger's all-in-one configuration
// (cmd/jaeger/internal/all-in-one.yaml in the module) cut to what the local
// stack uses: OTLP receivers, memory storage, the query service, a health
// check; every listener on loopback at the given ports.
func jaegerConfig(p jaegerPorts) ([]byte, error) {
	type m = map[string]any
	const storage = "memory"
	return yaml.Marshal(m{
		"service": m{
			"extensions": []string{"jaeger_storage", "jaeger_query", "healthcheckv2"},
			"pipelines": m{
				"traces": m{
					"receivers":  []string{"otlp"},
					"processors": []string{"batch"},
					"exporters":  []string{"jaeger_storage_exporter"},
				},
			},
			"telemetry": m{
				"resource": m{"service.name": "jaeger"},
				// The collector's own metrics would need one more port
				// (8888 by default); nothing here reads them.
				"metrics": m{"level": "none"},
				"logs":    m{"level": "info"},
			},
		},
		"extensions": m{
			"jaeger_storage": m{"backends": m{storage: m{"memory": m{"max_traces": 100000}}}},
			"jaeger_query": m{
				// On, it traces its own queries to the default OTLP
				// endpoint, and waits 10 s at shutdown when nothing is there.
				"enable_tracing": false,
				"storage":        m{"traces": storage},
				"http":           m{"endpoint": loopback(p.UI)},
				"grpc":           m{"endpoint": loopback(p.QueryGRPC)},
			},
			"healthcheckv2": m{"use_v2": true, "http": m{"endpoint": loopback(p.Health)}},
		},
		"receivers": m{
			"otlp": m{"protocols": m{
				"grpc": m{"endpoint": loopback(p.OTLPGRPC)},
				"http": m{"endpoint": loopback(p.OTLPHTTP)},
			}},
		},
		"processors": m{"batch": m{}},
		"exporters":  m{"jaeger_storage_exporter": m{"trace_storage": storage}},
	})
}
