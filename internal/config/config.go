// Package config reads the process configuration from the environment
// (12-factor). Every variable has a default that runs against the local stack
// started by `orderflow dev`, so a fresh clone needs no configuration at all.
package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of every role; each role reads what it needs.
type Config struct {
	LogLevel string
	// Environment is "development" (the default: the local stack's demo
	// accounts and signing key work out of the box) or "production", where
	// the roles refuse to run on those (DevelopmentDefaults).
	Environment string

	DatabaseURL       string
	RedisAddr         string
	RedisPassword     string
	TemporalAddress   string
	TemporalNamespace string
	KafkaBrokers      []string

	APIAddr      string
	FrontendAddr string
	APIURL       string
	OpsAddr      string
	SandboxAddr  string

	PaymentsURL      string
	SendGridAPIKey   string
	SendGridBaseURL  string
	EmailFrom        string
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioBaseURL    string
	TwilioFrom       string
	PushAPIKey       string
	PushBaseURL      string
	// WebhookSigningSecret signs outgoing webhooks (X-Orderflow-Signature).
	WebhookSigningSecret string
	// PublicAPIURL is the API as the providers reach it: Twilio posts status
	// callbacks to PublicAPIURL/webhooks/twilio and signs that URL.
	PublicAPIURL string
	// SendGridWebhookPublicKey verifies SendGrid's signed event webhook
	// (base64, from SendGrid's settings); "" refuses every SendGrid event.
	SendGridWebhookPublicKey string
	// SandboxSendGridWebhookKey is the private key (base64 PKCS #8) the
	// sandbox signs SendGrid events with; "" makes one at start.
	SandboxSendGridWebhookKey string
	// SandboxStateFile keeps the sandbox payment gateway's state across
	// restarts ("" keeps it in memory); `orderflow dev` puts it in .data.
	SandboxStateFile string
	// BreakerFailures consecutive failed calls to a provider open its circuit
	// breaker, shared by every worker, for BreakerOpenFor.
	BreakerFailures uint32
	BreakerOpenFor  time.Duration

	// ShutdownTimeout is how long a role drains in-flight work after SIGTERM.
	ShutdownTimeout time.Duration
	// ReservationTTL is how long an order's stock stays held while it is
	// being paid for; past it the reservation gives the stock back by itself.
	ReservationTTL time.Duration
	// ApprovalThreshold is the order total (minor units) above which an
	// order waits for an admin's approval after its payment is authorized;
	// 0 turns approvals off.
	ApprovalThreshold int64
	// ApprovalTimeout is how long such an order waits before it is
	// cancelled and compensated.
	ApprovalTimeout time.Duration
	// ReconcileInterval is how often the orders worker looks for orders
	// whose workflow closed without an outcome (a terminate) to repair.
	ReconcileInterval time.Duration

	// RateLimitPerMinute is how many /api requests one client may make per
	// minute: a signed-in user from anywhere, anyone else per IP address (an
	// IPv6 /64); signed-in users at one address together get
	// SignedInPerAddress times as many. Counted in Redis across every api
	// replica; 0 turns the limits off.
	RateLimitPerMinute int
	// TrustedProxies are the peers whose X-Forwarded-For the api believes
	// when it names a request's client: the dashboard's proxy, the ingress
	// controller. Anyone else could write any address there and escape
	// the rate limit, so the default trusts loopback only.
	TrustedProxies []netip.Prefix
	// CORSAllowedOrigins are the browser origins (the dashboard's) that may
	// call the api from another origin; never "*".
	CORSAllowedOrigins []string

	// JWTSigningKeys sign and verify access tokens: "kid:seed[,kid:seed]",
	// each seed 32 random bytes in base64; the first signs. The default is
	// a development key, and production has none.
	JWTSigningKeys string
	// AccessTokenTTL is how long an access token is good for; a client
	// refreshes it with its refresh token, good for RefreshTokenTTL.
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// LoginAttemptsPerAccount is how many sign-ins one email may get from
	// one address per LoginWindow (AccountAttemptsAnywhere times as many from
	// all addresses); LoginAttemptsPerIP how many sign-ins and sign-ups one
	// address may make. Counted in Redis.
	LoginAttemptsPerAccount int
	LoginAttemptsPerIP      int
	// AdminEmail and AdminPassword are the first admin account, created by
	// `orderflow migrate` when absent; required in production.
	AdminEmail, AdminPassword string
	// DemoCustomerEmail and DemoCustomerPassword are the customer account
	// `orderflow migrate --seed` creates in development.
	DemoCustomerEmail, DemoCustomerPassword string
}

// LoginWindow is the window of LoginAttemptsPerAccount and LoginAttemptsPerIP.
const LoginWindow = 15 * time.Minute

// SignedInPerAddress times RateLimitPerMinute is how many requests the
// signed-in users at one address may make together per minute: an office
// of users behind one NAT, but not an unbounded crowd of fresh accounts.
const SignedInPerAddress = 10

// AccountAttemptsAnywhere times LoginAttemptsPerAccount is how many sign-ins
// one email may get from all addresses together in a LoginWindow.
const AccountAttemptsAnywhere = 10

// Environments.
const (
	Development = "development"
	Production  = "production"
)

// Production reports whether the process runs in production.
func (c Config) Production() bool { return c.Environment == Production }

// RefuseDevelopmentDefaults returns an error, in production, when any of the
// named settings is empty or still holds its development value anywhere in
// it: the signing key and demo credentials in this file are public, and the
// development key would sign admin tokens just as well under another kid, or
// as a verify-only key kept from a rotation.
func (c Config) RefuseDevelopmentDefaults(names ...string) error {
	if !c.Production() {
		return nil
	}
	d := Default()
	current := map[string][2]string{ // the setting, and the public value it must not hold
		"JWT_SIGNING_KEYS": {c.JWTSigningKeys, devJWTSeed},
		"ADMIN_EMAIL":      {c.AdminEmail, d.AdminEmail},
		"ADMIN_PASSWORD":   {c.AdminPassword, d.AdminPassword},
	}
	for _, name := range names {
		v, ok := current[name]
		if !ok || strings.TrimSpace(v[0]) == "" || strings.Contains(strings.ToLower(v[0]), strings.ToLower(v[1])) {
			return fmt.Errorf("%s must be set in production, without the development value: that one is public", name)
		}
	}
	return nil
}

// devJWTSeed signs the local stack's tokens. It is public, in this file:
// production refuses to start with it.
const devJWTSeed = "DOFjWr+Z3ZAbEJCy0EXHjTCKufyfU0I+2Lzsn+0xgJM="

// Default returns the configuration of the local stack.
func Default() Config {
	return Config{
		LogLevel:          "info",
		Environment:       Development,
		DatabaseURL:       "postgres://orderflow:orderflow@127.0.0.1:5432/orderflow?sslmode=disable",
		RedisAddr:         "127.0.0.1:6379",
		TemporalAddress:   "127.0.0.1:7233",
		TemporalNamespace: "default",
		KafkaBrokers:      []string{"127.0.0.1:9092"},
		APIAddr:           "127.0.0.1:8080",
		FrontendAddr:      "127.0.0.1:3000",
		APIURL:            "http://127.0.0.1:8080",
		OpsAddr:           "127.0.0.1:9090",
		SandboxAddr:       "127.0.0.1:4010",
		PaymentsURL:       "http://127.0.0.1:4010",
		// The sandbox accepts any key; real keys come from a secret store.
		SendGridAPIKey:   "SG.sandbox",
		SendGridBaseURL:  "http://127.0.0.1:4010",
		EmailFrom:        "orders@orderflow.local",
		TwilioAccountSID: "AC00000000000000000000000000000000",
		// twilio-go refuses a token that is not alphanumeric before sending.
		TwilioAuthToken: "sandboxtoken00000000000000000000",
		TwilioBaseURL:   "http://127.0.0.1:4010",
		TwilioFrom:      "+15005550006",
		PushAPIKey:      "push-sandbox",
		PushBaseURL:     "http://127.0.0.1:4010",
		// Development only: production sets WEBHOOK_SIGNING_SECRET from its secret store.
		WebhookSigningSecret: "whsec_sandbox",
		PublicAPIURL:         "http://127.0.0.1:8080",
		BreakerFailures:      5,
		BreakerOpenFor:       30 * time.Second,
		ShutdownTimeout:      30 * time.Second,
		ReservationTTL:       15 * time.Minute,
		ApprovalThreshold:    100_000, // 1,000.00 in the catalogue's currency
		ApprovalTimeout:      24 * time.Hour,
		ReconcileInterval:    time.Minute,
		RateLimitPerMinute:   600,
		TrustedProxies:       []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		CORSAllowedOrigins:   []string{"http://127.0.0.1:3000", "http://localhost:3000"},
		JWTSigningKeys:       "dev-1:" + devJWTSeed,
		AccessTokenTTL:       15 * time.Minute,
		RefreshTokenTTL:      30 * 24 * time.Hour,
		// An office behind one address signs in many times; a guesser on
		// one account gets ten tries per quarter hour.
		LoginAttemptsPerAccount: 10,
		LoginAttemptsPerIP:      100,
		// Development only (the local stack listens on loopback); printed
		// by `make run`.
		AdminEmail:           "admin@orderflow.local",
		AdminPassword:        "admin-demo-password",
		DemoCustomerEmail:    "customer@orderflow.local",
		DemoCustomerPassword: "customer-demo-password",
	}
}

// Load returns Default overridden by the environment.
func Load() (Config, error) {
	return FromLookup(os.LookupEnv)
}

// FromLookup is Load with an injectable environment, for tests.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	str("ENVIRONMENT", &c.Environment)
	str("JWT_SIGNING_KEYS", &c.JWTSigningKeys)
	str("ADMIN_EMAIL", &c.AdminEmail)
	str("ADMIN_PASSWORD", &c.AdminPassword)
	str("DEMO_CUSTOMER_EMAIL", &c.DemoCustomerEmail)
	str("DEMO_CUSTOMER_PASSWORD", &c.DemoCustomerPassword)
	str("LOG_LEVEL", &c.LogLevel)
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_ADDR", &c.RedisAddr)
	str("REDIS_PASSWORD", &c.RedisPassword)
	str("TEMPORAL_ADDRESS", &c.TemporalAddress)
	str("TEMPORAL_NAMESPACE", &c.TemporalNamespace)
	str("API_ADDR", &c.APIAddr)
	str("FRONTEND_ADDR", &c.FrontendAddr)
	str("API_URL", &c.APIURL)
	str("OPS_ADDR", &c.OpsAddr)
	str("SANDBOX_ADDR", &c.SandboxAddr)
	str("PAYMENTS_URL", &c.PaymentsURL)
	str("SENDGRID_API_KEY", &c.SendGridAPIKey)
	str("SENDGRID_BASE_URL", &c.SendGridBaseURL)
	str("EMAIL_FROM", &c.EmailFrom)
	str("TWILIO_ACCOUNT_SID", &c.TwilioAccountSID)
	str("TWILIO_AUTH_TOKEN", &c.TwilioAuthToken)
	str("TWILIO_BASE_URL", &c.TwilioBaseURL)
	str("TWILIO_FROM", &c.TwilioFrom)
	str("PUSH_API_KEY", &c.PushAPIKey)
	str("PUSH_BASE_URL", &c.PushBaseURL)
	str("WEBHOOK_SIGNING_SECRET", &c.WebhookSigningSecret)
	str("PUBLIC_API_URL", &c.PublicAPIURL)
	str("SENDGRID_WEBHOOK_PUBLIC_KEY", &c.SendGridWebhookPublicKey)
	str("SANDBOX_SENDGRID_WEBHOOK_KEY", &c.SandboxSendGridWebhookKey)
	str("SANDBOX_STATE_FILE", &c.SandboxStateFile)
	if v, ok := lookup("BREAKER_FAILURES"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return c, fmt.Errorf("BREAKER_FAILURES=%q: want a positive integer", v)
		}
		c.BreakerFailures = uint32(n)
	}
	if v, ok := lookup("APPROVAL_THRESHOLD"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return c, fmt.Errorf("APPROVAL_THRESHOLD=%q: want an amount in minor units (0 turns approvals off)", v)
		}
		c.ApprovalThreshold = n
	}
	if v, ok := lookup("RATE_LIMIT_PER_MINUTE"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("RATE_LIMIT_PER_MINUTE=%q: want requests per minute and client (0 turns the limit off)", v)
		}
		c.RateLimitPerMinute = n
	}
	for name, dst := range map[string]*int{
		"LOGIN_ATTEMPTS_PER_ACCOUNT": &c.LoginAttemptsPerAccount,
		"LOGIN_ATTEMPTS_PER_IP":      &c.LoginAttemptsPerIP,
	} {
		if v, ok := lookup(name); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return c, fmt.Errorf("%s=%q: want a positive number of attempts per %s", name, v, LoginWindow)
			}
			*dst = n
		}
	}
	if v, ok := lookup("TRUSTED_PROXIES"); ok {
		prefixes, err := parsePrefixes(splitList(v))
		if err != nil {
			return c, fmt.Errorf("TRUSTED_PROXIES=%q: want CIDRs or addresses such as 10.0.0.0/8,::1 (empty trusts none): %v", v, err)
		}
		c.TrustedProxies = prefixes
	}
	if v, ok := lookup("CORS_ALLOWED_ORIGINS"); ok {
		origins := splitList(v)
		for _, o := range origins {
			if err := checkOrigin(o); err != nil {
				return c, fmt.Errorf("CORS_ALLOWED_ORIGINS=%q: %v", v, err)
			}
		}
		c.CORSAllowedOrigins = origins
	}
	if v, ok := lookup("KAFKA_BROKERS"); ok {
		c.KafkaBrokers = splitList(v)
	}
	for name, dst := range map[string]*time.Duration{
		"SHUTDOWN_TIMEOUT":   &c.ShutdownTimeout,
		"RESERVATION_TTL":    &c.ReservationTTL,
		"APPROVAL_TIMEOUT":   &c.ApprovalTimeout,
		"RECONCILE_INTERVAL": &c.ReconcileInterval,
		"BREAKER_OPEN_FOR":   &c.BreakerOpenFor,
		"ACCESS_TOKEN_TTL":   &c.AccessTokenTTL,
		"REFRESH_TOKEN_TTL":  &c.RefreshTokenTTL,
	} {
		if v, ok := lookup(name); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive duration such as 30s", name, v)
			}
			*dst = d
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if len(c.KafkaBrokers) == 0 {
		return fmt.Errorf("KAFKA_BROKERS is empty: want host:port[,host:port]")
	}
	if c.Environment != Development && c.Environment != Production {
		return fmt.Errorf("ENVIRONMENT=%q: want development or production", c.Environment)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parsePrefixes parses CIDRs or bare addresses (one host each).
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// checkOrigin accepts a browser origin: scheme://host[:port], nothing more.
// A wildcard would let any site read the API's answers with the user's
// credentials, so it is refused.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an origin such as https://dashboard.example.com (no wildcard, no path)", o)
	}
	return nil
}
