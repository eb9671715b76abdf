// Package app wires orderflow's roles (api, worker, frontend, sandbox,
// migrate) from their settings (config.API, config.OrdersWorker, ...): it
// opens the connections a role needs, serves its HTTP endpoints and stops it
// cleanly when the context ends. The cmd/orderflow binary and the
// integration tests both start roles from here.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	fastjson "github.com/segmentio/encoding/json"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
	"github.com/orderflow/orderflow/internal/platform/requestid"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// wants names the role (its service name in traces and pool metrics) and
// the connections it opens; nil ones are not.
type wants struct {
	Role     string
	Temporal *config.Temporal
	// Payloads are the keys of Temporal's payloads: set with Temporal.
	Payloads *config.PayloadEncryption
	Postgres *config.Postgres
	Redis    *config.Redis
	Kafka    *config.Kafka
}

// conns are a role's open connections, with the readiness check of each,
// and its tracing.
type conns struct {
	tracing  *telemetry.Tracing
	temporal client.Client
	// namespace is the client's Temporal namespace, which the settings or
	// the profile they name chose (the SDK's "default" when neither does).
	namespace string
	pool      *pgxpool.Pool
	redis     *redis.Client
	kafka     *events.Publisher
	checks    map[string]httpx.Check

	// codec encrypts the client's payloads; the api's codec server
	// decodes with it.
	codec *payloadcrypt.Codec
}

// readinessEvery is how often a role checks its dependencies for
// orderflow_dependency_ready, as often as a kubelet probes /readyz.
const readinessEvery = 10 * time.Second

// connect opens what w asks for. Every connection is lazy, so a dependency
// that starts after the role only makes its readiness fail until it
// answers; an error is a setting that cannot work.
func connect(ctx context.Context, w wants, logger *slog.Logger) (*conns, error) {
	tracing, err := telemetry.StartTracing(ctx, "orderflow-"+w.Role)
	if err != nil {
		return nil, fmt.Errorf("tracing (OTEL_* variables): %w", err)
	}
	c := &conns{tracing: tracing, checks: map[string]httpx.Check{}}
	if err := c.open(ctx, w, logger); err != nil {
		c.close()
		return nil, err
	}
	go httpx.WatchReadiness(ctx, w.Role, c.checks, readinessEvery)
	return c, nil
}

func (c *conns) open(ctx context.Context, w wants, logger *slog.Logger) (err error) {
	if w.Temporal != nil {
		if c.codec, err = payloadcrypt.New(w.Payloads.PayloadEncryptionKeys); err != nil {
			return fmt.Errorf("PAYLOAD_ENCRYPTION_KEYS: %w", err)
		}
		if c.temporal, c.namespace, err = dialTemporal(ctx, *w.Temporal, c.codec, c.tracing, logger); err != nil {
			return err
		}
		c.checks["temporal"] = httpx.Check{Probe: temporalCheck(c.temporal)}
	}
	if w.Postgres != nil {
		if c.pool, err = openPostgres(ctx, *w.Postgres, c.tracing); err != nil {
			return err
		}
		c.checks["postgres"] = httpx.Check{Probe: postgresCheck(c.pool)}
	}
	if w.Redis != nil {
		if c.redis, err = openRedis(ctx, *w.Redis, c.tracing); err != nil {
			return err
		}
		// Every role works without Redis: rate limits and circuit breakers
		// let calls through, stock reads go to PostgreSQL, sign-ins answer
		// 503 (api/auth.go).
		c.checks["redis"] = httpx.Check{Probe: redisCheck(c.redis), Optional: true}
	}
	if w.Kafka != nil {
		sec, err := kafkaSecurity(*w.Kafka)
		if err != nil {
			return err
		}
		c.kafka = events.NewPublisher(w.Kafka.KafkaBrokers, sec)
		// The outbox relays retry until Kafka is back; nothing waits on it.
		c.checks["kafka"] = httpx.Check{Probe: kafkaCheck(c.kafka), Optional: true}
		if err := checkKafkaSecurity(ctx, c.kafka, *w.Kafka, sec); err != nil {
			return err
		}
	}
	return nil
}

// close closes the connections in the reverse order of connect.
func (c *conns) close() {
	if c.kafka != nil {
		c.kafka.Close()
	}
	if c.redis != nil {
		c.redis.Close()
	}
	if c.pool != nil {
		c.pool.Close()
	}
	if c.temporal != nil {
		c.temporal.Close()
	}
	// The spans still buffered go out, within a bound: a collector that is
	// down must not hold the role's exit.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.tracing.Shutdown(ctx)
}

// openPostgres returns a pool; it connects lazily, so a database that starts
// after us only makes readiness fail until it answers.
// Its pool statistics are metrics (pgxpool_*); with tracing on, each query
// is a span.
func openPostgres(ctx context.Context, cfg config.Postgres, tracing *telemetry.Tracing) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// The parse error may quote the URL, password included: say less.
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL")
	}
	if tracing.Enabled {
		// Statements are traced without their parameters, which hold
		// customers' data.
		pc.ConnConfig.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tracing.Provider), otelpgx.WithTrimSQLInSpanName())
	}
	pc.AfterConnect = useFastJSON
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	meters, err := telemetry.MeterProvider()
	if err == nil {
		err = otelpgx.RecordStats(pool, otelpgx.WithStatsMeterProvider(meters))
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres pool metrics: %w", err)
	}
	return pool, nil
}

// openRedis returns a client of REDIS_URL whose pool statistics are
// metrics (db_client_connections_*); with tracing on, each command is a
// span. It connects lazily, but a rediss:// server that refuses our TLS
// fails the start (checkRedisTLS).
func openRedis(ctx context.Context, cfg config.Redis, tracing *telemetry.Tracing) (*redis.Client, error) {
	opts, err := redisOptions(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkRedisTLS(ctx, opts, cfg); err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opts)
	meters, err := telemetry.MeterProvider()
	if err == nil {
		err = redisotel.InstrumentMetrics(rdb, redisotel.WithMeterProvider(meters))
	}
	if err == nil && tracing.Enabled {
		// Commands are traced without their arguments: keys and values hold
		// customers' IDs and addresses (rate limits, sessions, the cache).
		err = redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tracing.Provider), redisotel.WithDBStatement(false))
	}
	if err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis instrumentation: %w", err)
	}
	return rdb, nil
}

// dialTemporal returns a client, and its namespace, that connects on first
// use, so the process starts (and reports not ready) while Temporal is
// still coming up; only a server that refuses our TLS fails the start
// (checkTemporalTLS). Address, namespace, API key and TLS come from the
// SDK's environment configuration (config.Temporal.ClientOptions), the rest from here.
func dialTemporal(ctx context.Context, cfg config.Temporal, codec *payloadcrypt.Codec, tracing *telemetry.Tracing, logger *slog.Logger) (client.Client, string, error) {
	opts, err := cfg.ClientOptions()
	if err != nil {
		return nil, "", err
	}
	if err := checkTemporalTLS(ctx, cfg, opts); err != nil {
		return nil, "", err
	}
	metrics, err := telemetry.TemporalMetrics()
	if err != nil {
		return nil, "", fmt.Errorf("temporal metrics: %w", err)
	}
	var interceptors []interceptor.ClientInterceptor
	if tracing.Enabled {
		// One trace from the API's StartWorkflow through the workflow, its
		// activities and children, whichever worker runs them; workers made
		// from this client use it too.
		tracer, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{
			Tracer: tracing.Provider.Tracer("go.temporal.io/sdk"), TextMapPropagator: telemetry.Propagator,
		})
		if err != nil {
			return nil, "", fmt.Errorf("temporal tracing: %w", err)
		}
		interceptors = append(interceptors, tracer)
	}
	opts.Interceptors = interceptors
	opts.Logger = sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk"))
	opts.MetricsHandler = metrics
	// The request ID goes from the API's calls into workflows, child
	// workflows and activities, whichever role runs this client.
	opts.ContextPropagators = []workflow.ContextPropagator{requestid.Propagator()}
	// Every payload is encrypted, and failures' messages with them; the
	// workers made from this client use the same converters.
	opts.DataConverter, opts.FailureConverter = codec.DataConverter(), codec.FailureConverter()
	opts.Namespace = cmp.Or(opts.Namespace, client.DefaultNamespace)
	c, err := client.NewLazyClient(opts)
	return c, opts.Namespace, err
}

// useFastJSON decodes and encodes json and jsonb columns with
// segmentio/encoding, encoding/json's API at a fraction of its CPU:
// decoding an order's items, contact and steps was an eighth of the CPU of
// GET /api/orders/{id} (docs/throughput.md, "The read path").
func useFastJSON(_ context.Context, conn *pgx.Conn) error {
	types := conn.TypeMap()
	types.RegisterType(&pgtype.Type{Name: "json", OID: pgtype.JSONOID, Codec: &pgtype.JSONCodec{Marshal: fastjson.Marshal, Unmarshal: fastjson.Unmarshal}})
	types.RegisterType(&pgtype.Type{Name: "jsonb", OID: pgtype.JSONBOID, Codec: &pgtype.JSONBCodec{Marshal: fastjson.Marshal, Unmarshal: fastjson.Unmarshal}})
	return nil
}

func postgresCheck(pool *pgxpool.Pool) func(context.Context) error {
	return func(ctx context.Context) error { return pool.Ping(ctx) }
}

func redisCheck(rdb *redis.Client) func(context.Context) error {
	return func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
}

func temporalCheck(c client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

func kafkaCheck(p *events.Publisher) func(context.Context) error {
	return p.Ping
}
