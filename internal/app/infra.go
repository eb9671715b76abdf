package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/workflows"
)

// InfraOptions places the local infrastructure: where its data lives and
// which loopback ports it listens on (0 picks a free port).
type InfraOptions struct {
	DataDir     string
	TemporalCLI string
	Postgres    int
	Redis       int
	Kafka       int
	Temporal    int
	TemporalUI  int
	// CodecEndpoint is the api's codec server, which the Web UI decodes
	// payloads through ("" when no api serves one, as in the tests).
	CodecEndpoint string
	// Fast trades PostgreSQL durability for speed (tests).
	Fast bool
	// TemporalServer, when set, runs the Temporal server on the local
	// PostgreSQL in place of the dev server (TEMPORAL_MODE=server).
	TemporalServer *TemporalServerBinaries
	Logger         *slog.Logger
}

// TemporalServerBinaries are the server mode's binaries and its number of
// history shards.
type TemporalServerBinaries struct {
	Server, SQLTool, UIServer string
	HistoryShards             int
}

// Infra is the running local infrastructure: PostgreSQL, Redis, Kafka (kfake)
// and the Temporal dev server with its Web UI (or the Temporal server and the
// Web UI server).
type Infra struct {
	Postgres *devstack.Postgres
	Redis    *devstack.Redis
	Kafka    *devstack.Kafka
	Temporal *devstack.Temporal
	// TemporalMetricsURL is the Temporal server's own /metrics, on a free port.
	TemporalMetricsURL string
}

// searchAttributes are the namespace's custom search attributes that
// OrderWorkflow sets, so orders are findable in the Web UI and the CLI.
var searchAttributes = map[string]string{
	workflows.SearchAttrOrderStatus: "Keyword",
	workflows.SearchAttrCustomerID:  "Keyword",
	workflows.SearchAttrOrderTotal:  "Double",
}

// StartInfra starts every server, data under o.DataDir, and stops the ones
// already started if a later one fails.
func StartInfra(ctx context.Context, o InfraOptions) (_ *Infra, err error) {
	in := &Infra{}
	defer func() {
		if err != nil {
			in.Stop(context.Background())
		}
	}()
	logs := filepath.Join(o.DataDir, "logs")
	if in.Postgres, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(o.DataDir, "postgres"), Port: o.Postgres,
		User: "orderflow", Password: "orderflow", Database: "orderflow",
		LogFile: filepath.Join(logs, "postgres.log"), Fast: o.Fast, Logger: o.Logger,
	}); err != nil {
		return nil, err
	}
	if in.Redis, err = devstack.StartRedis(ctx, devstack.RedisOptions{
		DataDir: filepath.Join(o.DataDir, "redis"), Port: o.Redis,
		LogFile: filepath.Join(logs, "redis.log"), Logger: o.Logger,
	}); err != nil {
		return nil, err
	}
	if in.Kafka, err = devstack.StartKafka(ctx, devstack.KafkaOptions{
		Port: o.Kafka, DataDir: filepath.Join(o.DataDir, "kafka"), Logger: o.Logger,
		Topics: []string{events.OrdersTopic, events.InventoryTopic, events.NotificationsTopic},
	}); err != nil {
		return nil, err
	}
	temporal := devstack.TemporalOptions{
		CLIPath: o.TemporalCLI, DBFile: filepath.Join(o.DataDir, "temporal", "temporal.db"),
		Port: o.Temporal, UIPort: o.TemporalUI, SearchAttributes: searchAttributes, CodecEndpoint: o.CodecEndpoint,
		LogFile: filepath.Join(logs, "temporal.log"), Logger: o.Logger,
	}
	if s := o.TemporalServer; s != nil {
		// Its own databases in the same PostgreSQL: the dev server's
		// SQLite file stays for the next dev-mode run.
		temporal.LogFile = filepath.Join(logs, "temporal-server.log")
		temporal.Server = &devstack.TemporalServerOptions{
			ServerPath: s.Server, SQLToolPath: s.SQLTool, UIServerPath: s.UIServer,
			Postgres: in.Postgres, Dir: filepath.Join(o.DataDir, "temporal-server"), HistoryShards: s.HistoryShards,
			UILogFile: filepath.Join(logs, "temporal-ui.log"),
		}
	}
	if in.Temporal, err = devstack.StartTemporal(ctx, temporal); err != nil {
		return nil, err
	}
	in.TemporalMetricsURL = in.Temporal.MetricsURL()
	return in, nil
}

// Configure points the stack's settings at this infrastructure. Its
// servers take plain connections without credentials, so every Kafka,
// Redis and Temporal setting is replaced, not only the address: an API key
// or a TLS file exported for the temporal CLI, or a profile in the user's
// configuration file, would turn TLS on towards the dev server. Its
// workers are one version, LocalBuildID, whatever was rebuilt since the
// last start: the executions a previous run left open go on with the new
// code, as unversioned workers' would, rather than wait for a version
// that no longer runs.
func (in *Infra) Configure(cfg config.Stack) config.Stack {
	cfg.WorkerBuildID = LocalBuildID
	cfg.DatabaseURL = in.Postgres.URL()
	cfg.Redis = config.Redis{RedisURL: in.Redis.URL()}
	cfg.Kafka = config.Kafka{KafkaBrokers: config.List(in.Kafka.Brokers())}
	// An empty file of profiles: none of the user's applies.
	cfg.Temporal = config.Temporal{TemporalAddress: in.Temporal.Address(), TemporalNamespace: in.Temporal.Namespace(), TemporalConfigFile: os.DevNull}
	return cfg
}

// LocalBuildID is the build ID of the local stack's workers.
const LocalBuildID = "local"

// Processes are the servers' child processes, for devstack.ProcessesFile;
// Kafka runs inside this process.
func (in *Infra) Processes() devstack.ProcessList {
	l := devstack.ProcessList{{Name: "postgres", PID: in.Postgres.PID()}, {Name: "redis", PID: in.Redis.PID()}}
	return append(l, in.Temporal.Processes()...)
}

// Stop stops the servers in the reverse order of their start.
func (in *Infra) Stop(ctx context.Context) error {
	var errs []error
	if in.Temporal != nil {
		errs = append(errs, in.Temporal.Stop(ctx))
	}
	if in.Kafka != nil {
		errs = append(errs, in.Kafka.Stop(ctx))
	}
	if in.Redis != nil {
		errs = append(errs, in.Redis.Stop(ctx))
	}
	if in.Postgres != nil {
		errs = append(errs, in.Postgres.Stop(ctx))
	}
	return errors.Join(errs...)
}
