package app

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/frontend"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// RunFrontend serves the dashboard on cfg.FrontendAddr until ctx ends.
func RunFrontend(ctx context.Context, cfg config.Frontend, logger *slog.Logger) error {
	c, err := connect(ctx, wants{Role: "frontend"}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	h, err := frontend.New(cfg.APIURL, logger, c.tracing.Provider)
	if err != nil {
		return err
	}
	return httpx.Serve(ctx, httpx.NewServer(cfg.FrontendAddr, h), cfg.ShutdownTimeout, logger)
}
