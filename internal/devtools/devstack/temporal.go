package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// TemporalOptions configures StartTemporal.
type TemporalOptions struct {
	// CLIPath is the temporal CLI binary (bin/temporal, built from temporal/cli).
	CLIPath string
	// DBFile is the SQLite file that keeps workflows across restarts; its
	// directory is created if missing. "" keeps state in memory only.
	DBFile string
	// Port is the frontend gRPC port, UIPort the Web UI's, HTTPPort the
	// frontend HTTP API's, MetricsPort the Prometheus /metrics endpoint's, all
	// on 127.0.0.1; 0 picks a free one. The dev server opens a few more for
	// its internal services, always on free ports it picks itself.
	Port, UIPort, HTTPPort, MetricsPort int
	// Namespace is registered at start; "" means "default" (always present).
	Namespace string
	// CodecEndpoint is the codec server the Web UI decodes payloads
	// through (the api's /codec); "" shows them as they are stored.
	CodecEndpoint string
	// SearchAttributes maps custom search attribute names to their types:
	// Text, Keyword, Int, Double, Bool, Datetime or KeywordList. Missing ones
	// are added to the namespace at every start, so a name added later
	// reaches an existing DB file too (start-dev's --search-attribute flag
	// only takes effect when it creates the namespace).
	SearchAttributes map[string]string
	// LogFile receives the server's output; "" means "<DBFile>.log".
	// Required when DBFile is "".
	LogFile string
	// Server, when set, runs the Temporal server itself on PostgreSQL in
	// place of the dev server; CLIPath and DBFile are then unused.
	Server *TemporalServerOptions
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// Temporal is a Temporal dev server (`temporal server start-dev`) child
// process: frontend, history, matching and worker services and the Web UI in
// one process, on SQLite. With TemporalOptions.Server it is instead the
// Temporal server and the Web UI server, two child processes.
type Temporal struct {
	opts             TemporalOptions // ports, Namespace and LogFile resolved
	searchAttributes map[string]enums.IndexedValueType
	logger           *slog.Logger
	parts            []temporalPart // started in order, stopped in reverse

	mu        sync.Mutex // guards processes across Stop and Restart
	processes []*child   // the running parts, in order
}

// temporalPart is one child process of Temporal.
type temporalPart struct {
	name  string // in ProcessesFile: "temporal", "temporal-server", "temporal-ui"
	spec  childSpec
	ready func(context.Context) error
}

// StartTemporal runs the dev server (or, with o.Server, the Temporal server
// and the Web UI server) and returns once it is healthy, the namespace is
// registered and the search attributes are usable in it.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.Server == nil && !isFile(o.CLIPath) {
		return nil, fmt.Errorf("temporal: no CLI at %q: build it with `cd temporal/cli && go build -o ../../bin/temporal github.com/temporalio/cli/cmd/temporal`", o.CLIPath)
	}
	if o.DBFile == "" && o.LogFile == "" {
		return nil, errors.New("temporal: LogFile is required when DBFile is empty")
	}
	searchAttributes := make(map[string]enums.IndexedValueType, len(o.SearchAttributes))
	for name, typeName := range o.SearchAttributes {
		valueType, err := enums.IndexedValueTypeFromString(typeName)
		if err != nil || valueType == enums.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return nil, fmt.Errorf("temporal: search attribute %s has type %q; want Text, Keyword, Int, Double, Bool, Datetime or KeywordList", name, typeName)
		}
		searchAttributes[name] = valueType
	}
	logger := loggerOrDefault(o.Logger)
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	for _, port := range []*int{&o.Port, &o.UIPort, &o.HTTPPort, &o.MetricsPort} {
		var err error
		if *port, err = portOrFree(*port); err != nil {
			return nil, err
		}
	}
	if o.LogFile == "" {
		o.LogFile = o.DBFile + ".log"
	}
	t := &Temporal{opts: o, searchAttributes: searchAttributes, logger: logger}
	var err error
	if o.Server != nil {
		t.parts, err = t.serverParts(ctx)
	} else {
		t.parts, err = t.devServerParts()
	}
	if err != nil {
		return nil, err
	}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	logger.Info("Temporal ready", "address", t.Address(), "ui", t.UIURL(), "namespace", o.Namespace)
	return t, nil
}

// devServerParts is `temporal server start-dev`, the Web UI included.
func (t *Temporal) devServerParts() ([]temporalPart, error) {
	o := t.opts
	args := []string{
		"server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(o.Port),
		"--ui-port", strconv.Itoa(o.UIPort),
		"--http-port", strconv.Itoa(o.HTTPPort),
		"--metrics-port", strconv.Itoa(o.MetricsPort),
		"--namespace", o.Namespace,
		// One history shard on one SQLite connection: WAL with normal sync
		// makes each commit cheaper without losing committed state on a
		// process crash.
		"--sqlite-pragma", "journal_mode=wal",
		"--sqlite-pragma", "synchronous=normal",
		// Values are JSON. The default 20 polls/s adds ~50 ms to every task
		// hand-off; eager activities skip a matching round trip.
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=2000",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		// A queue's backlog (approximate_backlog_count, on the Workers
		// dashboard) is reported when matching syncs it: every 5 s here
		// rather than every minute.
		"--dynamic-config-value", `matching.updateAckInterval="5s"`,
		"--log-level", "warn",
		"--color", "never",
	}
	if o.CodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", o.CodecEndpoint)
	}
	if o.DBFile != "" {
		dbFile, err := filepath.Abs(o.DBFile)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(dbFile), 0o755); err != nil {
			return nil, fmt.Errorf("temporal database directory: %w", err)
		}
		t.opts.DBFile = dbFile
		args = append(args, "--db-filename", dbFile)
	}
	return []temporalPart{{
		name: "temporal",
		spec: childSpec{
			name:       "Temporal",
			path:       o.CLIPath,
			args:       args,
			logPath:    o.LogFile,
			stopSignal: syscall.SIGINT, // what Ctrl-C sends; the CLI then stops the server cleanly
		},
		ready: t.ready,
	}}, nil
}

// Address is the frontend's host:port, for client.Options.HostPort.
func (t *Temporal) Address() string { return loopback(t.opts.Port) }

// UIURL is the Web UI's address.
func (t *Temporal) UIURL() string { return "http://" + loopback(t.opts.UIPort) }

// MetricsURL is where the server's own Prometheus metrics are served.
func (t *Temporal) MetricsURL() string { return "http://" + loopback(t.opts.MetricsPort) + "/metrics" }

// Namespace is the namespace registered at start, for TEMPORAL_NAMESPACE.
func (t *Temporal) Namespace() string { return t.opts.Namespace }

// Processes are the running child processes, for ProcessesFile.
func (t *Temporal) Processes() ProcessList {
	t.mu.Lock()
	defer t.mu.Unlock()
	var l ProcessList
	for i, c := range t.processes {
		l = append(l, ProcessEntry{Name: t.parts[i].name, PID: c.pid()})
	}
	return l
}

// Stop shuts the server down cleanly and waits for it; if ctx ends first, or
// after 20 s, the server is killed. Calling it again does nothing.
func (t *Temporal) Stop(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return stopParts(ctx, t.processes)
}

// stopParts stops the running parts in the reverse of their start order:
// the Web UI before the server it talks to.
func stopParts(ctx context.Context, processes []*child) error {
	var errs []error
	for i := len(processes) - 1; i >= 0; i-- {
		errs = append(errs, processes[i].stop(ctx))
	}
	return errors.Join(errs...)
}

// Restart stops the server and starts it again with the same ports and DB
// file, so workflows survive (with DBFile "" they do not).
func (t *Temporal) Restart(ctx context.Context) error {
	if err := t.Stop(ctx); err != nil {
		return err
	}
	if err := t.start(ctx); err != nil {
		return err
	}
	t.logger.Info("Temporal restarted", "address", t.Address())
	return nil
}

func (t *Temporal) start(ctx context.Context) error {
	var processes []*child
	for _, part := range t.parts {
		process, err := startChild(ctx, part.spec, t.logger, part.ready)
		if err != nil {
			_ = stopParts(ctx, processes)
			return err
		}
		processes = append(processes, process)
	}
	if err := t.registerSearchAttributes(ctx); err != nil {
		_ = stopParts(ctx, processes)
		return err
	}
	t.mu.Lock()
	t.processes = processes
	t.mu.Unlock()
	return nil
}

// dial connects a client to the namespace, quietly: failed readiness probes
// are expected and reported by the caller.
func (t *Temporal) dial(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort:  t.Address(),
		Namespace: t.opts.Namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
}

// ready reports whether clients can use the server: the frontend answers and
// the namespace is registered. The Temporal server starts without it, so
// there ready registers it, and reports ready on a later probe.
func (t *Temporal) ready(ctx context.Context) error {
	c, err := t.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.opts.Namespace})
	var notFound *serviceerror.NamespaceNotFound
	if t.opts.Server != nil && errors.As(err, &notFound) {
		if err := t.registerNamespace(ctx, c); err != nil {
			return err
		}
		return fmt.Errorf("namespace %q: just registered", t.opts.Namespace)
	}
	if err != nil {
		return fmt.Errorf("namespace %q: %w", t.opts.Namespace, err)
	}
	// DescribeNamespace reads the database; most other calls go through
	// the frontend's namespace cache, which learns of a new namespace
	// within seconds. Listing the search attributes is one of them.
	if _, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: t.opts.Namespace}); err != nil {
		return fmt.Errorf("namespace %q: %w", t.opts.Namespace, err)
	}
	return nil
}

// registerSearchAttributes adds the search attributes the namespace lacks;
// they are usable as soon as the call returns. A name registered earlier
// with another type is an error: Temporal cannot change it.
func (t *Temporal) registerSearchAttributes(ctx context.Context) error {
	if len(t.searchAttributes) == 0 {
		return nil
	}
	c, err := t.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: t.opts.Namespace})
	if err != nil {
		return fmt.Errorf("temporal: list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, want := range t.searchAttributes {
		have, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = want
		case have != want:
			return fmt.Errorf("temporal: search attribute %s is %v in %s, not %v: rename it or delete the DB file", name, have, t.opts.DBFile, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        t.opts.Namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("temporal: add search attributes: %w", err)
	}
	t.logger.Info("registered search attributes", "namespace", t.opts.Namespace, "attributes", missing)
	return nil
}
