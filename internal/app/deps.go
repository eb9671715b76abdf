// Package app wires orderflow's roles (api, worker, frontend, sandbox,
// migrate) from their settings (config.API, config.OrdersWorker, ...): it opens the connections a role needs,
// serves its HTTP endpoints and stops it cleanly when the context ends. The
// cmd/orderflow binary and the integration tests both start roles from here.
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
)

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
	return client.NewLazyClient(client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
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
