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
	c, err := connect(ctx, wants{Role: "frontend", Redis: &cfg.Redis}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	h, err := frontend.New(frontend.Options{APIURL: cfg.APIURL, Sessions: c.redis, Production: cfg.Production(),
		Links: cfg.DashboardLinks, Logger: logger, Tracer: c.tracing.Provider})
	if err != nil {
		return err
	}
	// Redis, which keeps the sessions, is its only check, and an optional
	// one: the pages still load without it (and say why nobody can sign
	// in), and an api outage is the api's to report.
	return serveWithOps(ctx, httpx.NewServer(cfg.FrontendAddr, h), cfg.Ops, "frontend", c.checks, cfg.ShutdownTimeout, logger)
}
