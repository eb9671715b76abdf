package app

import (
	"context"
	"log/slog"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/sandbox"
)

// RunSandbox serves the provider sandboxes (payment gateway, SendGrid,
// Twilio) on cfg.SandboxAddr until ctx ends. Development and tests only.
func RunSandbox(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	sb := sandbox.New(sandbox.Options{Logger: logger, TwilioAuthToken: cfg.TwilioAuthToken})
	r := mux.NewRouter()
	httpx.MountOps(r, nil)
	r.PathPrefix("/").Handler(sb)
	return httpx.Serve(ctx, httpx.NewServer(cfg.SandboxAddr, r), cfg.ShutdownTimeout, logger)
}
