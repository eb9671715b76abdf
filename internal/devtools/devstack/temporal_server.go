package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TemporalServerOptions runs the Temporal server itself (temporal/server's
// pinned go.temporal.io/server) on PostgreSQL, with the Web UI server in
// front of it, where the dev server would run: closer to a real cluster,
// with as many history shards as asked for.
type TemporalServerOptions struct {
	// ServerPath, SQLToolPath and UIServerPath are the binaries built from
	// temporal/server: bin/temporal-server, bin/temporal-sql-tool and
	// bin/temporal-ui-server.
	ServerPath, SQLToolPath, UIServerPath string
	// Postgres holds the databases "temporal" and "temporal_visibility",
	// created and brought to the server's schema at every start; the
	// cluster's superuser owns them.
	Postgres *Postgres
	// Dir receives the generated configuration files; created if missing.
	Dir string
	// HistoryShards is fixed when the databases are created: a later start
	// with another number keeps the first, with a warning in the log.
	HistoryShards int
	// UILogFile receives the Web UI server's output; "" means
	// "<Dir>/temporal-ui.log".
	UILogFile string
}

// The databases of the server, in the local PostgreSQL beside the stack's
// own: a data directory once used by the dev server keeps its SQLite file,
// so both modes can take turns on it.
const (
	temporalDatabase   = "temporal"
	visibilityDatabase = "temporal_visibility"
)

// serverParts prepares the databases and the configuration, then returns
// the server and the Web UI server.
func (t *Temporal) serverParts(ctx context.Context) ([]temporalPart, error) {
	s := t.opts.Server
	for _, path := range []string{s.ServerPath, s.SQLToolPath, s.UIServerPath} {
		if !isFile(path) {
			return nil, fmt.Errorf("temporal: no %s: build it with `make temporal-server` (TEMPORAL_MODE=server make run does)", path)
		}
	}
	if s.Postgres == nil || s.HistoryShards < 1 {
		return nil, errors.New("temporal: the server needs Postgres and at least one history shard")
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return nil, err
	}
	if s.UILogFile == "" {
		s.UILogFile = filepath.Join(dir, "temporal-ui.log")
	}
	if err := t.setupSchemas(ctx); err != nil {
		return nil, err
	}
	cfg := temporalServerConfig{
		Shards:        s.HistoryShards,
		PostgresPort:  s.Postgres.opts.Port,
		User:          s.Postgres.opts.User,
		Password:      s.Postgres.opts.Password,
		Frontend:      t.opts.Port,
		FrontendHTTP:  t.opts.HTTPPort,
		Metrics:       t.opts.MetricsPort,
		DynamicConfig: filepath.Join(dir, "dynamicconfig.yaml"),
		Namespace:     t.opts.Namespace,
		UI:            t.opts.UIPort,
		CodecEndpoint: t.opts.CodecEndpoint,
	}
	if cfg.serverPorts, err = internalPorts(filepath.Join(dir, "ports.json")); err != nil {
		return nil, err
	}
	files, err := cfg.files()
	if err != nil {
		return nil, err
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("temporal server config: %w", err)
		}
		if err := os.WriteFile(path, content, 0o600); err != nil { // it holds the database password
			return nil, fmt.Errorf("temporal server config: %w", err)
		}
	}
	return []temporalPart{
		{
			name: "temporal-server",
			spec: childSpec{
				name: "Temporal server",
				path: s.ServerPath,
				// Flags rather than the TEMPORAL_ROOT-style variables, which
				// a developer's shell may set for another server.
				args:       []string{"--root", dir, "--config", "config", "--env", serverConfigEnv, "--allow-no-auth", "start"},
				logPath:    t.opts.LogFile,
				stopSignal: syscall.SIGTERM, // the server drains and stops its services
			},
			ready: t.ready,
		},
		{
			name: "temporal-ui",
			spec: childSpec{
				name:       "Temporal Web UI",
				path:       s.UIServerPath,
				args:       []string{"--root", dir, "--config", "ui", "--env", serverConfigEnv, "start"},
				logPath:    s.UILogFile,
				stopSignal: syscall.SIGTERM,
			},
			ready: HTTPReady(t.UIURL()),
		},
	}, nil
}

// internalPorts are the ports the previous start on this Dir used, kept in
// file, when they are all free; else new ones, then kept there. The server
// records its services' membership addresses in the database, and a new
// start first tries to join the members its predecessor left there, alive
// or not, which, at other addresses, holds it up for up to half a minute.
// New ones are below 32768, as the membership ports must be (a smallint
// column).
func internalPorts(file string) (serverPorts, error) {
	var p serverPorts
	fields := []*int{&p.History, &p.Matching, &p.Worker,
		&p.FrontendMembership, &p.HistoryMembership, &p.MatchingMembership, &p.WorkerMembership}
	if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, &p) == nil {
		free := true
		for _, port := range fields {
			free = free && *port > 0 && CheckPortFree("", *port, "") == nil
		}
		if free {
			return p, nil
		}
	}
	for _, port := range fields {
		var err error
		if *port, err = freeLowPort(); err != nil {
			return p, err
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return p, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return p, err
	}
	return p, os.WriteFile(file, b, 0o644)
}

// setupSchemas creates the server's databases when missing and brings
// their schemas to the version this server release ships, with the
// server's own SQL tool and the schemas embedded in it: what the server's
// auto-setup image does. Every step is a no-op on an up-to-date database.
func (t *Temporal) setupSchemas(ctx context.Context) error {
	s := t.opts.Server
	p := s.Postgres
	for _, db := range []struct{ name, schema string }{
		{temporalDatabase, "postgresql/v12/temporal"},
		{visibilityDatabase, "postgresql/v12/visibility"},
	} {
		if err := p.ensureDatabase(ctx, db.name); err != nil {
			return err
		}
		conn := []string{
			"--plugin", "postgres12", "--ep", "127.0.0.1", "--port", strconv.Itoa(p.opts.Port),
			"--user", p.opts.User, "--db", db.name,
		}
		// Version 0.0 creates only the version tables, so that
		// update-schema then applies every versioned step.
		for _, args := range [][]string{
			append(conn, "setup-schema", "--version", "0.0"),
			append(conn, "update-schema", "--schema-name", db.schema),
		} {
			err := runToCompletion(ctx, childSpec{
				name: "temporal-sql-tool " + args[len(conn)], path: s.SQLToolPath, args: args, logPath: t.opts.LogFile,
				// By variable, not flag: the command line is logged.
				env: append(os.Environ(), "SQL_PASSWORD="+p.opts.Password),
			}, t.logger)
			if err != nil {
				return fmt.Errorf("temporal: schema of %s: %w", db.name, err)
			}
		}
	}
	return nil
}

// namespaceRetention is how long closed workflows stay visible, as on the
// dev server.
const namespaceRetention = 24 * time.Hour

// registerNamespace creates the namespace on the server, which, unlike the
// dev server, starts with none but its own system namespace.
func (t *Temporal) registerNamespace(ctx context.Context, c client.Client) error {
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        t.opts.Namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(namespaceRetention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %q: %w", t.opts.Namespace, err)
	}
	t.logger.Info("registered namespace", "namespace", t.opts.Namespace)
	return nil
}
