package app

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/migrations"
)

// Migrate applies every service's schema migrations and, with seed, loads
// the demo catalogue (development only; existing rows are kept).
func Migrate(ctx context.Context, cfg config.Config, seed bool, logger *slog.Logger) error {
	pool, err := openPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool, logger); err != nil {
		return err
	}
	if seed {
		if err := inventory.NewStore(pool).SeedDemo(ctx); err != nil {
			return err
		}
		logger.Info("demo catalogue loaded", "skus", inventory.DemoSKUs())
	}
	return nil
}
