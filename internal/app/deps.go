// Package app wires orderflow's roles (api, worker, frontend, sandbox,
// migrate) from their settings (config.API, config.OrdersWorker, ...): it
// opens the connections a role needs, serves its HTTP endpoints and stops it
// cleanly when the context ends. The cmd/orderflow binary and the
// integration tests both start roles from here.
package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/requestid"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// wants names the connections a role opens; nil ones are not.
type wants struct {
	Temporal *config.Temporal
	Postgres *config.Postgres
	Redis    *config.Redis
	Kafka    *config.Kafka
}

// conns are a role's open connections, with the readiness check of each.
type conns struct {
	temporal client.Client
	pool     *pgxpool.Pool
	redis    *redis.Client
	kafka    *events.Publisher
	checks   map[string]httpx.Check
}

// connect opens what w asks for. Every connection is lazy, so a dependency
// that starts after the role only makes its readiness fail until it
// answers; an error is a setting that cannot work.
func connect(ctx context.Context, w wants, logger *slog.Logger) (*conns, error) {
	c := &conns{checks: map[string]httpx.Check{}}
	if w.Temporal != nil {
		tc, err := dialTemporal(*w.Temporal, logger)
		if err != nil {
			return nil, err
		}
		c.temporal, c.checks["temporal"] = tc, temporalCheck(tc)
	}
	if w.Postgres != nil {
		pool, err := openPostgres(ctx, *w.Postgres)
		if err != nil {
			c.close()
			return nil, err
		}
		c.pool, c.checks["postgres"] = pool, postgresCheck(pool)
	}
	if w.Redis != nil {
		c.redis = openRedis(*w.Redis)
		c.checks["redis"] = redisCheck(c.redis)
	}
	if w.Kafka != nil {
		c.kafka = events.NewPublisher(w.Kafka.KafkaBrokers)
		c.checks["kafka"] = kafkaCheck(c.kafka)
	}
	return c, nil
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
}

// openPostgres returns a pool; it connects lazily, so a database that starts
// after us only makes readiness fail until it answers.
func openPostgres(ctx context.Context, cfg config.Postgres) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// The parse error may quote the URL, password included: say less.
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL")
	}
	return pgxpool.NewWithConfig(ctx, pc)
}

func openRedis(cfg config.Redis) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, Password: cfg.RedisPassword})
}

// dialTemporal returns a client that connects on first use, so the process
// starts (and reports not ready) while Temporal is still coming up.
func dialTemporal(cfg config.Temporal, logger *slog.Logger) (client.Client, error) {
	metrics, err := telemetry.TemporalMetrics()
	if err != nil {
		return nil, fmt.Errorf("temporal metrics: %w", err)
	}
	return client.NewLazyClient(client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
		MetricsHandler: metrics,
		// The request ID goes from the API's calls into workflows, child
		// workflows and activities, whichever role runs this client.
		ContextPropagators: []workflow.ContextPropagator{requestid.Propagator()},
	})
}

func postgresCheck(pool *pgxpool.Pool) httpx.Check {
	return func(ctx context.Context) error { return pool.Ping(ctx) }
}

func redisCheck(rdb *redis.Client) httpx.Check {
	return func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
}

func temporalCheck(c client.Client) httpx.Check {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

func kafkaCheck(p *events.Publisher) httpx.Check {
	return p.Ping
}
