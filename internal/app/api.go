package app

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/notifications"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/ratelimit"
)

// RunAPI serves the REST API on cfg.APIAddr until ctx ends.
func RunAPI(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	pool, err := openPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	rdb := openRedis(cfg)
	defer rdb.Close()
	tc, err := dialTemporal(cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	callbacks, err := notificationCallbacks(cfg)
	if err != nil {
		return err
	}

	srv := &api.Server{
		Orders:    orders.NewStore(pool),
		Inventory: inventory.NewStore(pool, inventory.WithCache(inventory.NewCache(rdb, logger))),
		Temporal:  tc,
		Namespace: cfg.TemporalNamespace,
		Logger:    logger,
		Checks: map[string]httpx.Check{
			"postgres": postgresCheck(pool),
			"redis":    redisCheck(rdb),
			"temporal": temporalCheck(tc),
		},
		ReservationTTL:     cfg.ReservationTTL,
		ApprovalThreshold:  cfg.ApprovalThreshold,
		ApprovalTimeout:    cfg.ApprovalTimeout,
		Notifications:      notifications.NewStore(pool),
		Callbacks:          callbacks,
		TrustedProxies:     cfg.TrustedProxies,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
	}
	if cfg.RateLimitPerMinute > 0 {
		// Counted in Redis, so every replica enforces the one limit.
		srv.RateLimit = ratelimit.NewRedis(rdb, cfg.RateLimitPerMinute)
	}
	return httpx.Serve(ctx, httpx.NewServer(cfg.APIAddr, srv.Handler()), cfg.ShutdownTimeout, logger)
}
