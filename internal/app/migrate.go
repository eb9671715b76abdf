package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/migrations"
	"github.com/orderflow/orderflow/internal/users"
)

// Migrate applies every service's schema migrations, creates the first admin
// account when it is absent and, with seed, loads the demo catalogue and the
// demo customer (development only; existing rows are kept).
func Migrate(ctx context.Context, cfg config.Config, seed bool, logger *slog.Logger) error {
	// The first admin, created when absent, must be a real one in production.
	if err := cfg.RefuseDevelopmentDefaults("ADMIN_EMAIL", "ADMIN_PASSWORD"); err != nil {
		return err
	}
	if seed && cfg.Production() {
		return errors.New("--seed loads demo data and a demo customer: development only")
	}
	pool, err := openPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool, logger); err != nil {
		return err
	}
	accounts := []users.NewAccount{{Email: cfg.AdminEmail, Password: cfg.AdminPassword, Role: users.RoleAdmin, Name: "Admin"}}
	if seed {
		if err := inventory.NewStore(pool).SeedDemo(ctx); err != nil {
			return err
		}
		logger.Info("demo catalogue loaded", "skus", inventory.DemoSKUs())
		if cfg.DemoCustomerEmail != "" {
			accounts = append(accounts, users.NewAccount{Email: cfg.DemoCustomerEmail, Password: cfg.DemoCustomerPassword,
				Role: users.RoleCustomer, Name: "Demo Customer", Phone: "+15005550006"})
		}
	}
	store := users.NewStore(pool)
	for _, a := range accounts {
		created, err := store.Ensure(ctx, a)
		if err != nil {
			return fmt.Errorf("create the %s account: %w", a.Role, err)
		}
		if created {
			logger.Info("account created", "role", a.Role) // no emails or passwords in logs
		}
	}
	return nil
}
