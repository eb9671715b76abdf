package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// Environ is c as environment variables, the inverse of FromLookup: how
// `orderflow dev` and the integration tests hand their configuration to the
// role processes they start. OPS_ADDR is left to the caller: it differs per
// process.
func (c Config) Environ() []string {
	return []string{
		"LOG_LEVEL=" + c.LogLevel,
		"ENVIRONMENT=" + c.Environment,
		"DATABASE_URL=" + c.DatabaseURL,
		"REDIS_ADDR=" + c.RedisAddr,
		"REDIS_PASSWORD=" + c.RedisPassword,
		"TEMPORAL_ADDRESS=" + c.TemporalAddress,
		"TEMPORAL_NAMESPACE=" + c.TemporalNamespace,
		"KAFKA_BROKERS=" + strings.Join(c.KafkaBrokers, ","),
		"API_ADDR=" + c.APIAddr,
		"FRONTEND_ADDR=" + c.FrontendAddr,
		"API_URL=" + c.APIURL,
		"SANDBOX_ADDR=" + c.SandboxAddr,
		"PAYMENTS_URL=" + c.PaymentsURL,
		"SENDGRID_API_KEY=" + c.SendGridAPIKey,
		"SENDGRID_BASE_URL=" + c.SendGridBaseURL,
		"EMAIL_FROM=" + c.EmailFrom,
		"TWILIO_ACCOUNT_SID=" + c.TwilioAccountSID,
		"TWILIO_AUTH_TOKEN=" + c.TwilioAuthToken,
		"TWILIO_BASE_URL=" + c.TwilioBaseURL,
		"TWILIO_FROM=" + c.TwilioFrom,
		"PUSH_API_KEY=" + c.PushAPIKey,
		"PUSH_BASE_URL=" + c.PushBaseURL,
		"WEBHOOK_SIGNING_SECRET=" + c.WebhookSigningSecret,
		"PUBLIC_API_URL=" + c.PublicAPIURL,
		"SENDGRID_WEBHOOK_PUBLIC_KEY=" + c.SendGridWebhookPublicKey,
		"SANDBOX_SENDGRID_WEBHOOK_KEY=" + c.SandboxSendGridWebhookKey,
		"SANDBOX_STATE_FILE=" + c.SandboxStateFile,
		"BREAKER_FAILURES=" + strconv.FormatUint(uint64(c.BreakerFailures), 10),
		"BREAKER_OPEN_FOR=" + c.BreakerOpenFor.String(),
		"SHUTDOWN_TIMEOUT=" + c.ShutdownTimeout.String(),
		"RESERVATION_TTL=" + c.ReservationTTL.String(),
		"APPROVAL_THRESHOLD=" + strconv.FormatInt(c.ApprovalThreshold, 10),
		"APPROVAL_TIMEOUT=" + c.ApprovalTimeout.String(),
		"RECONCILE_INTERVAL=" + c.ReconcileInterval.String(),
		"RATE_LIMIT_PER_MINUTE=" + strconv.Itoa(c.RateLimitPerMinute),
		"TRUSTED_PROXIES=" + joinPrefixes(c.TrustedProxies),
		"CORS_ALLOWED_ORIGINS=" + strings.Join(c.CORSAllowedOrigins, ","),
		"JWT_SIGNING_KEYS=" + c.JWTSigningKeys,
		"ACCESS_TOKEN_TTL=" + c.AccessTokenTTL.String(),
		"REFRESH_TOKEN_TTL=" + c.RefreshTokenTTL.String(),
		"LOGIN_ATTEMPTS_PER_ACCOUNT=" + strconv.Itoa(c.LoginAttemptsPerAccount),
		"LOGIN_ATTEMPTS_PER_IP=" + strconv.Itoa(c.LoginAttemptsPerIP),
		"ADMIN_EMAIL=" + c.AdminEmail,
		"ADMIN_PASSWORD=" + c.AdminPassword,
		"DEMO_CUSTOMER_EMAIL=" + c.DemoCustomerEmail,
		"DEMO_CUSTOMER_PASSWORD=" + c.DemoCustomerPassword,
	}
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
