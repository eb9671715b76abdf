package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/migrations"
)

// Migrate applies every service's schema migrations and creates the first
// admin account when it is absent (config.Load refuses the demo admin in
// production).
func Migrate(ctx context.Context, cfg config.Migrate, logger *slog.Logger) error {
	return migrate(ctx, cfg, nil, logger)
}

// Seed is Migrate, then it loads the demo catalogue and the demo customer
// (development only; existing rows are kept).
func Seed(ctx context.Context, cfg config.Seed, logger *slog.Logger) error {
	if cfg.Production() {
		return errors.New("--seed loads demo data and a demo customer: development only")
	}
	return migrate(ctx, cfg.Migrate, &cfg.DemoCustomer, logger)
}

// WaitForSchema returns once the database has every migration this binary
// embeds, and fails after timeout: the init container of a new release's
// pods, so that they start on the schema they need while the migrate Job
// runs, and never before it. It writes nothing.
func WaitForSchema(ctx context.Context, cfg config.SchemaWait, timeout time.Duration, logger *slog.Logger) error {
	c, err := connect(ctx, wants{Role: "wait-for-schema", Postgres: &cfg.Postgres}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	every := time.NewTicker(2 * time.Second)
	defer every.Stop()
	var last string
	for {
		err := migrations.Current(ctx, c.pool)
		if err == nil {
			logger.Info("schema is current")
			return nil
		}
		if err.Error() != last { // once per change, not every 2 s
			logger.Info("waiting for the migrations", "reason", err.Error())
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the schema is not current after %s (%s): has the migrate Job run?", timeout, last)
			}
			return fmt.Errorf("stopped while waiting for the migrations (%s): %w", last, ctx.Err())
		case <-every.C:
		}
	}
}

func migrate(ctx context.Context, cfg config.Migrate, demo *config.DemoCustomer, logger *slog.Logger) error {
	if err := users.CheckPassword(cfg.AdminPassword); err != nil {
		return fmt.Errorf("ADMIN_PASSWORD %w", err)
	}
	c, err := connect(ctx, wants{Role: "migrate", Postgres: &cfg.Postgres}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	pool := c.pool
	if err := migrations.Up(ctx, pool, logger); err != nil {
		return err
	}
	store := users.NewStore(pool)
	created, err := store.CreateFirstAdmin(ctx, users.NewAccount{Email: cfg.AdminEmail, Password: cfg.AdminPassword, Name: "Admin"})
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if created {
		logger.Info("first admin account created") // no emails or passwords in logs
	}
	if demo != nil {
		if err := inventory.NewStore(pool).SeedDemo(ctx); err != nil {
			return err
		}
		logger.Info("demo catalogue loaded", "skus", inventory.DemoSKUs())
		created, err := store.Ensure(ctx, users.NewAccount{Email: demo.DemoCustomerEmail, Password: demo.DemoCustomerPassword,
			Role: users.RoleCustomer, Name: "Demo Customer", Phone: "+15005550006"})
		if err != nil {
			return fmt.Errorf("create the demo customer: %w", err)
		}
		if created {
			logger.Info("demo customer account created")
		}
	}
	return nil
}
