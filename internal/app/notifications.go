package app

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/breaker"
	"github.com/orderflow/orderflow/internal/platform/config"
)

// notificationActivities wires the notifications worker: the providers'
// senders (the sandbox's or the real ones, by base URL), its store, and the
// circuit breakers it shares with the other notification workers in Redis.
func notificationActivities(cfg config.NotificationsWorker, pool *pgxpool.Pool, rdb *redis.Client, logger *slog.Logger) (*activities.NotificationActivities, error) {
	sms, err := providers.NewTwilio(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioBaseURL, nil)
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	var statusCallback string
	if cfg.PublicAPIURL != "" {
		statusCallback = strings.TrimRight(cfg.PublicAPIURL, "/") + api.TwilioWebhookPath
	}
	return &activities.NotificationActivities{
		Email:             providers.NewSendGrid(cfg.SendGridAPIKey, cfg.SendGridBaseURL, nil),
		SMS:               sms,
		Push:              providers.NewPush(cfg.PushAPIKey, cfg.PushBaseURL, nil),
		Webhooks:          providers.NewWebhook(cfg.WebhookSigningSecret, nil),
		EmailFrom:         cfg.EmailFrom,
		SMSFrom:           cfg.TwilioFrom,
		SMSStatusCallback: statusCallback,
		Store:             notifications.NewStore(pool),
		Breakers: breaker.NewSet(rdb, breaker.Settings{Failures: cfg.BreakerFailures, OpenFor: cfg.BreakerOpenFor},
			logger.With("component", "breaker")),
	}, nil
}

// notificationCallbacks is what the API verifies provider callbacks with.
func notificationCallbacks(cfg config.API) (api.Callbacks, error) {
	c := api.Callbacks{PublicURL: cfg.PublicAPIURL, TwilioAuthToken: cfg.TwilioAuthToken}
	if cfg.SendGridWebhookPublicKey != "" {
		key, err := parseECDSAPublicKey(cfg.SendGridWebhookPublicKey)
		if err != nil {
			return c, fmt.Errorf("SENDGRID_WEBHOOK_PUBLIC_KEY is not SendGrid's base64 public key: %w", err)
		}
		c.SendGridKey = key
	}
	return c, nil
}

// parseECDSAPublicKey reads a base64 DER public key, as SendGrid shows its
// event webhook key. eventwebhook.ConvertPublicKeyBase64ToECDSA does the
// same but panics on a key that is not ECDSA.
func parseECDSAPublicKey(b64 string) (*ecdsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	return ec, nil
}
