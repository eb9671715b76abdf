package app

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/breaker"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
)

// notificationActivities wires the notifications worker: the providers'
// senders (the sandbox's or the real ones, by base URL), its store, and the
// circuit breakers it shares with the other notification workers in Redis.
func notificationActivities(cfg config.NotificationsWorker, c *conns, logger *slog.Logger) (*activities.NotificationActivities, error) {
	client := func(provider string) *http.Client {
		return httpx.ProviderClient(provider, providerTimeout, c.tracing.Provider)
	}
	sms, err := providers.NewTwilio(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioBaseURL, client(providers.TwilioName))
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	if err := cfg.WebPushKey.RefuseDevelopmentKey(cfg.Environment); err != nil {
		return nil, err
	}
	// Browsers' push endpoints are the customers' choice, like webhook
	// URLs: the same address policy.
	pushTargets := webhookOptions(cfg, c)
	pushTargets.Wrap = func(rt http.RoundTripper) http.RoundTripper {
		return httpx.InstrumentTransport(providers.WebPushName, c.tracing.Provider, rt)
	}
	webPush, err := providers.NewWebPush(cfg.VAPIDPublicKey, cfg.VAPIDPrivateKey, cfg.VAPIDSubject, pushTargets)
	if err != nil {
		return nil, err
	}
	var statusCallback string
	if cfg.PublicAPIURL != "" {
		statusCallback = strings.TrimRight(cfg.PublicAPIURL, "/") + api.TwilioWebhookPath
	}
	return &activities.NotificationActivities{
		Email:             providers.NewSendGrid(cfg.SendGridAPIKey, cfg.SendGridBaseURL, client(providers.SendGridName)),
		SMS:               sms,
		Push:              providers.NewPush(cfg.PushAPIKey, cfg.PushBaseURL, client(providers.PushName)),
		WebPush:           webPush,
		Devices:           users.NewStore(c.pool),
		Webhooks:          providers.NewWebhook(cfg.WebhookSigningSecret, webhookOptions(cfg, c)),
		EmailFrom:         cfg.EmailFrom,
		SMSFrom:           cfg.TwilioFrom,
		SMSStatusCallback: statusCallback,
		Store:             notifications.NewStore(c.pool),
		Breakers: breaker.NewSet(c.redis, breaker.Settings{Failures: cfg.BreakerFailures, OpenFor: cfg.BreakerOpenFor},
			logger.With("component", "breaker")),
	}, nil
}

// webhookOptions are the webhooks' client: customers choose its URLs, so it
// reaches public addresses only, and the networks WEBHOOK_ALLOWED_NETWORKS
// names (internal/platform/safehttp), traced and timed like the providers'.
func webhookOptions(cfg config.NotificationsWorker, c *conns) safehttp.Options {
	return safehttp.Options{
		Policy:  safehttp.Policy{Allowed: cfg.WebhookAllowedNetworks},
		Timeout: providerTimeout,
		Wrap: func(rt http.RoundTripper) http.RoundTripper {
			return httpx.InstrumentTransport(providers.WebhookName, c.tracing.Provider, rt)
		},
	}
}

// providerTimeout bounds one call to a provider or the payment gateway, so
// that a hung provider cannot hold an activity until its own, much longer,
// timeout.
const providerTimeout = 10 * time.Second

// notificationCallbacks is what the API verifies provider callbacks with.
func notificationCallbacks(cfg config.API) (api.Callbacks, error) {
	c := api.Callbacks{PublicURL: cfg.PublicAPIURL, TwilioAuthToken: cfg.TwilioAuthToken, CarrierSecret: cfg.CarrierWebhookSecret}
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
