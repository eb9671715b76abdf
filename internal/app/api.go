package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// maxOrderWatchers bounds the long-polls one api replica holds at once.
const maxOrderWatchers = 10_000

// RunAPI serves the REST API on cfg.APIAddr, and its probes and metrics on
// cfg.OpsAddr, until ctx ends.
func RunAPI(ctx context.Context, cfg config.API, logger *slog.Logger) error {
	if err := cfg.WebPushKey.RefuseDevelopmentKey(cfg.Environment); err != nil {
		return err
	}
	c, err := connect(ctx, wants{Role: "api", Postgres: &cfg.Postgres, Redis: &cfg.Redis, Temporal: &cfg.Temporal, Payloads: &cfg.PayloadEncryption}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	pool, rdb := c.pool, c.redis
	callbacks, err := notificationCallbacks(cfg)
	if err != nil {
		return err
	}
	keys, err := auth.ParseKeys(cfg.JWTSigningKeys)
	if err != nil {
		return fmt.Errorf("JWT_SIGNING_KEYS: %w (kid:base64-seed[,kid:base64-seed], each seed from `openssl rand -base64 32`)", err)
	}

	// One LISTEN connection wakes every long-poll of this replica.
	changes := orders.NewChanges(pool, maxOrderWatchers, logger)
	go changes.Run(ctx)
	srv := &api.Server{
		Orders:             orders.NewStore(pool),
		Changes:            changes,
		Inventory:          inventory.NewStore(pool, inventory.WithCache(inventory.NewCache(rdb, logger))),
		Temporal:           c.temporal,
		Namespace:          c.namespace,
		Logger:             logger,
		Tracing:            c.tracing.Provider,
		TraceService:       c.tracing.Service,
		ReservationTTL:     cfg.ReservationTTL,
		ApprovalThreshold:  cfg.ApprovalThreshold,
		ApprovalTimeout:    cfg.ApprovalTimeout,
		ReturnWindow:       cfg.ReturnWindow,
		Notifications:      notifications.NewStore(pool),
		Callbacks:          callbacks,
		TrustedProxies:     cfg.TrustedProxies,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
		Users:              users.NewStore(pool),
		Keys:               keys,
		AccessTokenTTL:     cfg.AccessTokenTTL,
		RefreshTokenTTL:    cfg.RefreshTokenTTL,
		// Counted in Redis, so every replica enforces the one limit.
		Attempts: api.Attempts{
			PerIP:              ratelimit.NewRedis(rdb, "login:", cfg.LoginAttemptsPerIP, config.LoginWindow),
			PerAccount:         ratelimit.NewRedis(rdb, "login:", cfg.LoginAttemptsPerAccount, config.LoginWindow),
			PerAccountAnywhere: ratelimit.NewRedis(rdb, "login-any:", config.AccountAttemptsAnywhere*cfg.LoginAttemptsPerAccount, config.LoginWindow),
		},
		// The codec server decrypts with the keys the client encrypts with.
		// The dev server's Web UI has no sign-in, so in development it
		// decodes without a token; in production only an admin does.
		Codec:               c.codec,
		TemporalUIOrigins:   cfg.TemporalUIOrigins,
		DecodeForLocalWebUI: cfg.Environment.Environment == config.Development,
		// Development's Web Push service is the sandbox, on loopback.
		Push:     api.PushSettings{VAPIDPublicKey: cfg.VAPIDPublicKey, LoopbackEndpoints: cfg.Environment.Environment == config.Development},
		Webhooks: webhooks.NewStore(pool, c.codec), // secrets sealed with the payload keys
		Webhook: api.WebhookSettings{
			Targets: safehttp.Policy{Allowed: cfg.WebhookAllowedNetworks},
			Redeliver: func(ctx context.Context, deliveryID string, n int) error {
				return startWebhookDelivery(ctx, c.temporal, deliveryID, n, cfg.WebhookFirstRetry)
			},
		},
	}
	if cfg.TracesQueryURL != "" {
		if srv.Traces, err = telemetry.NewTraceStore(cfg.TracesQueryURL); err != nil {
			return fmt.Errorf("TRACES_QUERY_URL: %w", err)
		}
	}
	if cfg.RateLimitPerMinute > 0 {
		srv.RateLimit = ratelimit.NewRedis(rdb, "api:", cfg.RateLimitPerMinute, time.Minute)
		srv.AddressRateLimit = ratelimit.NewRedis(rdb, "api-address:", config.SignedInPerAddress*cfg.RateLimitPerMinute, time.Minute)
	}
	public := httpx.NewServer(cfg.APIAddr, srv.Handler())
	// Streams and long-polls would hold the drain to its timeout.
	public.RegisterOnShutdown(srv.EndFollowers)
	return serveWithOps(ctx, public, cfg.Ops, "api", c.checks, cfg.ShutdownTimeout, logger)
}
