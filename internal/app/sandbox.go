package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// RunSandbox serves the provider sandboxes (payment gateway, SendGrid,
// Twilio, push, a webhook receiver, a carrier) on cfg.SandboxAddr until ctx ends; their
// delivery callbacks go to the API at cfg.PublicAPIURL. Development and
// tests only.
func RunSandbox(ctx context.Context, cfg config.Sandbox, logger *slog.Logger) error {
	opts := sandbox.Options{
		Logger:                  logger,
		TwilioAuthToken:         cfg.TwilioAuthToken,
		SendGridEventWebhookURL: strings.TrimRight(cfg.PublicAPIURL, "/") + api.SendGridWebhookPath,
		WebhookSigningSecret:    cfg.WebhookSigningSecret,
		CarrierAPIKey:           cfg.CarrierAPIKey,
		CarrierCallbackURL:      strings.TrimRight(cfg.PublicAPIURL, "/") + api.CarrierWebhookPath,
		CarrierSigningSecret:    cfg.CarrierWebhookSecret,
	}
	if cfg.SandboxSendGridWebhookKey != "" {
		key, err := sandbox.ParseEventWebhookKey(cfg.SandboxSendGridWebhookKey)
		if err != nil {
			return fmt.Errorf("SANDBOX_SENDGRID_WEBHOOK_KEY: %w", err)
		}
		opts.SendGridEventWebhookKey = key
	}
	sb := sandbox.New(opts)
	defer sb.Close()
	if cfg.SandboxStateFile != "" {
		if err := sb.Persist(cfg.SandboxStateFile); err != nil {
			return fmt.Errorf("SANDBOX_STATE_FILE: %w", err)
		}
	}
	logger.Info("sandbox SendGrid events are signed; verify them with SENDGRID_WEBHOOK_PUBLIC_KEY",
		"public_key", sb.SendGridEventWebhookPublicKey())
	r := mux.NewRouter()
	httpx.MountOps(r, nil)
	r.PathPrefix("/").Handler(sb)
	return httpx.Serve(ctx, httpx.NewServer(cfg.SandboxAddr, r), cfg.ShutdownTimeout, logger)
}
