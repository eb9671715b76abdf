package app

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/frontend"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// RunFrontend serves the dashboard on cfg.FrontendAddr, and its probes and
// metrics on cfg.OpsAddr, until ctx ends.
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
	// Ready with no check: the dashboard's pages need nothing but this
	// process, and an api outage is the api's to report.
	return serveWithOps(ctx, httpx.NewServer(cfg.FrontendAddr, h), cfg.Ops, "frontend", nil, cfg.ShutdownTimeout, logger)
}
