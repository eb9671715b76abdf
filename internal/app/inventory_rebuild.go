package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/platform/config"
)

// RunInventoryRebuild replays the stock ledger. With check it only compares
// every stock row with the replay of its events, prints the rows that differ
// and fails if any does; otherwise it rewrites those rows from the ledger
// (and drops their cached stock). Both are safe while orders run.
func RunInventoryRebuild(ctx context.Context, cfg config.InventoryRebuild, check bool, out io.Writer, logger *slog.Logger) error {
	c, err := connect(ctx, wants{Role: "inventory-rebuild", Postgres: &cfg.Postgres, Redis: &cfg.Redis}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	stock := inventory.NewStore(c.pool, inventory.WithCache(inventory.NewCache(c.redis, logger)))

	if check {
		drifts, err := stock.CheckProjection(ctx)
		if err != nil {
			return err
		}
		for _, d := range drifts {
			fmt.Fprintln(out, "drift:", d)
		}
		if len(drifts) > 0 {
			return fmt.Errorf("%d stock rows differ from their ledger; `orderflow inventory-rebuild` rewrites them", len(drifts))
		}
		fmt.Fprintln(out, "every stock row equals the replay of its ledger")
		return nil
	}
	rebuilt, err := stock.RebuildProjection(ctx)
	for _, d := range rebuilt {
		fmt.Fprintln(out, "rebuilt:", d)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d stock rows rewritten from the ledger\n", len(rebuilt))
	return nil
}
