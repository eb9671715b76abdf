package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// The groups of settings. Each is declared once and embedded by every role
// that reads it (roles.go); the defaults are those of the local stack.

// Log is how a role logs.
type Log struct {
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
}

// Validate checks the level.
func (c Log) Validate() error {
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel)
}

// Shutdown is how long a server role drains in-flight work after SIGTERM.
type Shutdown struct {
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"30s"`
}

// Validate checks the timeout.
func (c Shutdown) Validate() error { return positive("SHUTDOWN_TIMEOUT", c.ShutdownTimeout) }

// Environments.
const (
	Development = "development"
	Production  = "production"
)

const environmentVar = "ENVIRONMENT"

// Environment is "development" (the default: the local stack's demo accounts
// and signing key work out of the box) or "production", where the roles
// refuse to run on those (RefusePublicDefaults).
type Environment struct {
	Environment string `env:"ENVIRONMENT" envDefault:"development"`
}

// Validate checks the name.
func (c Environment) Validate() error {
	if c.Environment != Development && c.Environment != Production {
		return fmt.Errorf("ENVIRONMENT=%q: want development or production", c.Environment)
	}
	return nil
}

// Production reports whether the process runs in production.
func (c Environment) Production() bool { return c.Environment == Production }

// Postgres is the database of every service (one schema each).
type Postgres struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://orderflow:orderflow@127.0.0.1:5432/orderflow?sslmode=disable"`
}

// Redis, Temporal and Kafka, the connections with TLS and credentials of
// their own, are in redis.go, temporal.go and kafka.go.

// Ops is a role's health, readiness and metrics listener: a port apart
// from the public one, which probes and Prometheus reach and the Ingress
// never routes to.
type Ops struct {
	OpsAddr string `env:"OPS_ADDR" envDefault:"127.0.0.1:9090"`
	// Pprof serves Go's profiles (net/http/pprof) under /debug/pprof/ on
	// the ops port. Off unless asked for: a profile costs CPU and shows
	// the process's internals to whoever reaches the port; the local stack
	// turns it on.
	Pprof bool `env:"PPROF" envDefault:"false"`
}

// WorkerVersion is a worker's version in its Worker Deployment
// (workers.Version).
type WorkerVersion struct {
	// WorkerBuildID overrides the build ID, which is otherwise the binary's
	// version (`orderflow version`). The local stack sets "local": every
	// `make run` is then one version, whatever was rebuilt, as an
	// unversioned worker would be.
	WorkerBuildID string `env:"WORKER_BUILD_ID"`
}

// APIServer is the REST API's listener.
type APIServer struct {
	APIAddr string `env:"API_ADDR" envDefault:"127.0.0.1:8080"`
}

// APIClient is the REST API as the dashboard's proxy and the load generator
// call it.
type APIClient struct {
	APIURL string `env:"API_URL" envDefault:"http://127.0.0.1:8080"`
}

// FrontendServer is the dashboard's listener.
type FrontendServer struct {
	FrontendAddr string `env:"FRONTEND_ADDR" envDefault:"127.0.0.1:3000"`
}

// DashboardLinks are where the dashboard sends an admin to see an order's
// execution and its trace.
type DashboardLinks struct {
	// TemporalUIURL is the Temporal Web UI's page of the workflows'
	// namespace: the dashboard appends /workflows/<workflow id>.
	TemporalUIURL string `env:"TEMPORAL_UI_URL" envDefault:"http://127.0.0.1:8233/namespaces/default"`
	// TraceUIURL is a Jaeger UI, whose /trace/<trace id> shows a trace;
	// empty for none (the dashboard draws an order's trace itself).
	TraceUIURL string `env:"TRACE_UI_URL"`
}

// PublicAPI is the API as the providers reach it: Twilio posts status
// callbacks to PublicAPIURL/webhooks/twilio and signs that URL.
type PublicAPI struct {
	PublicAPIURL string `env:"PUBLIC_API_URL" envDefault:"http://127.0.0.1:8080"`
}

// TwilioAuth is Twilio's auth token: it authenticates the SMS worker's calls
// and signs the status callbacks the API verifies.
type TwilioAuth struct {
	// twilio-go refuses a token that is not alphanumeric before sending.
	TwilioAuthToken string `env:"TWILIO_AUTH_TOKEN" envDefault:"sandboxtoken00000000000000000000" public:"default"`
}

// WebhookSigning signs outgoing webhooks the Standard Webhooks way
// (internal/platform/webhooksign).
type WebhookSigning struct {
	// WebhookSigningSecret is a Standard Webhooks secret: "whsec_" and the
	// base64 of at least 24 random bytes (webhooksign.NewSecret). The
	// default is for development only: production sets it from its secret
	// store.
	WebhookSigningSecret string `env:"WEBHOOK_SIGNING_SECRET" envDefault:"whsec_ufCQhSQvf8/m8l+HrrkfvD5lkfbPB3xORZs7AN+2zQY=" public:"default"`
}

// Validate checks that the secret is a Standard Webhooks one, which the
// sender and every receiver's library can use; the error never shows it.
func (c WebhookSigning) Validate() error {
	if err := webhooksign.CheckSecret(c.WebhookSigningSecret); err != nil {
		return fmt.Errorf("WEBHOOK_SIGNING_SECRET: %w (make one with webhooksign.NewSecret, or: echo \"whsec_$(openssl rand -base64 32)\")", err)
	}
	return nil
}

// WebhookEndpoints is where webhooks may go, and how events are delivered
// to integrators' endpoints.
type WebhookEndpoints struct {
	// WebhookAllowedNetworks are the networks webhooks may reach although
	// they are not public (loopback, RFC 1918, link-local and the cloud
	// metadata address, ULA, CGNAT: internal/platform/safehttp). A
	// receiver's URL is an admin's or a customer's choice, so by default ("none")
	// webhooks reach public addresses only and cannot be aimed at the
	// cluster's own services; the local stack allows its loopback sandbox.
	WebhookAllowedNetworks Prefixes `env:"WEBHOOK_ALLOWED_NETWORKS" envDefault:"none"`
	// WebhookFirstRetry is the wait after a delivery's first failed
	// attempt; each next wait doubles, up to an hour, for 3 days.
	WebhookFirstRetry time.Duration `env:"WEBHOOK_FIRST_RETRY" envDefault:"10s"`
	// WebhookDisableAfter is how long an endpoint may fail every attempt
	// before it is disabled and the admins are told.
	WebhookDisableAfter time.Duration `env:"WEBHOOK_DISABLE_AFTER" envDefault:"120h"`
}

func (c WebhookEndpoints) Validate() error {
	return errors.Join(positive("WEBHOOK_FIRST_RETRY", c.WebhookFirstRetry), positive("WEBHOOK_DISABLE_AFTER", c.WebhookDisableAfter))
}

// SendGridEvents verifies SendGrid's signed event webhook.
type SendGridEvents struct {
	// SendGridWebhookPublicKey is base64, from SendGrid's settings; ""
	// refuses every SendGrid event.
	SendGridWebhookPublicKey string `env:"SENDGRID_WEBHOOK_PUBLIC_KEY"`
}

// OrderPolicy is how the API starts orders and takes returns.
type OrderPolicy struct {
	// ReservationTTL is how long an order's stock stays held while it is
	// being paid for; past it the reservation gives the stock back by itself.
	ReservationTTL time.Duration `env:"RESERVATION_TTL" envDefault:"15m"`
	// ApprovalThreshold is the order total (minor units) above which an
	// order waits for an admin's approval after its payment is authorized;
	// 0 turns approvals off. The default is 1,000.00.
	ApprovalThreshold int64 `env:"APPROVAL_THRESHOLD" envDefault:"100000"`
	// ApprovalTimeout is how long such an order waits before it is
	// cancelled and compensated.
	ApprovalTimeout time.Duration `env:"APPROVAL_TIMEOUT" envDefault:"24h"`
	// ReturnWindow is how long after its delivery a parcel's lines can be
	// returned.
	ReturnWindow time.Duration `env:"RETURN_WINDOW" envDefault:"720h"`
}

// Validate checks the durations and the threshold.
func (c OrderPolicy) Validate() error {
	var err error
	if c.ApprovalThreshold < 0 {
		err = fmt.Errorf("APPROVAL_THRESHOLD=%d: want an amount in minor units (0 turns approvals off)", c.ApprovalThreshold)
	}
	return errors.Join(err, positive("RESERVATION_TTL", c.ReservationTTL), positive("APPROVAL_TIMEOUT", c.ApprovalTimeout),
		positive("RETURN_WINDOW", c.ReturnWindow))
}

// TraceQuery is where the API reads traces back, to show an order's trace
// (GET /api/orders/{id}/trace).
type TraceQuery struct {
	// TracesQueryURL is a Jaeger query service (http://host:16686), asked
	// through its HTTP API (/api/traces, which Jaeger v1 and v2 serve);
	// "" means tracing is not configured, and the endpoint answers 503.
	TracesQueryURL string `env:"TRACES_QUERY_URL"`
}

// Validate checks the URL.
func (c TraceQuery) Validate() error {
	if c.TracesQueryURL == "" {
		return nil
	}
	if u, err := url.Parse(c.TracesQueryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("TRACES_QUERY_URL=%q: want the Jaeger query service's URL, such as http://127.0.0.1:16686, or nothing", c.TracesQueryURL)
	}
	return nil
}

// SignedInPerAddress times RateLimitPerMinute is how many requests the
// signed-in users at one address may make together per minute: an office
// of users behind one NAT, but not an unbounded crowd of fresh accounts.
const SignedInPerAddress = 10

// FrontDoor is what the API lets in.
type FrontDoor struct {
	// RateLimitPerMinute is how many /api requests one client may make per
	// minute: a signed-in user from anywhere, anyone else per IP address (an
	// IPv6 /64); signed-in users at one address together get
	// SignedInPerAddress times as many. Counted in Redis across every api
	// replica; 0 turns the limits off.
	RateLimitPerMinute int `env:"RATE_LIMIT_PER_MINUTE" envDefault:"600"`
	// TrustedProxies are the peers whose X-Forwarded-For the api believes
	// when it names a request's client: the dashboard's proxy, the ingress
	// controller. Anyone else could write any address there and escape the
	// rate limit, so the default (also what an empty value means) trusts
	// loopback only; "none" trusts no one.
	TrustedProxies Prefixes `env:"TRUSTED_PROXIES" envDefault:"127.0.0.0/8,::1/128"`
	// CORSAllowedOrigins are the browser origins (the dashboard's) that may
	// call the api from another origin; never "*". "none" allows none (an
	// empty value is the default, the local dashboard's).
	CORSAllowedOrigins Origins `env:"CORS_ALLOWED_ORIGINS" envDefault:"http://127.0.0.1:3000,http://localhost:3000"`
}

// Validate checks the limit.
func (c FrontDoor) Validate() error {
	if c.RateLimitPerMinute < 0 {
		return fmt.Errorf("RATE_LIMIT_PER_MINUTE=%d: want requests per minute and client (0 turns the limit off)", c.RateLimitPerMinute)
	}
	return nil
}

// LoginWindow is the window of LoginAttemptsPerAccount and LoginAttemptsPerIP.
const LoginWindow = 15 * time.Minute

// AccountAttemptsAnywhere times LoginAttemptsPerAccount is how many sign-ins
// one email may get from all addresses together in a LoginWindow.
const AccountAttemptsAnywhere = 10

// SignIn is how the API issues and verifies tokens.
type SignIn struct {
	// JWTSigningKeys sign and verify access tokens: "kid:seed[,kid:seed]",
	// each seed 32 random bytes in base64; the first signs. The default is
	// the development key, which production refuses.
	JWTSigningKeys string `env:"JWT_SIGNING_KEYS" envDefault:"dev-1:DOFjWr+Z3ZAbEJCy0EXHjTCKufyfU0I+2Lzsn+0xgJM=" public:"default"`
	// AccessTokenTTL is how long an access token is good for; a client
	// refreshes it with its refresh token, good for RefreshTokenTTL.
	AccessTokenTTL  time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`
	// LoginAttemptsPerAccount is how many sign-ins one email may get from
	// one address per LoginWindow (AccountAttemptsAnywhere times as many
	// from all addresses); LoginAttemptsPerIP how many sign-ins and sign-ups
	// one address may make. Counted in Redis. An office behind one address
	// signs in many times; a guesser on one account gets ten tries.
	LoginAttemptsPerAccount int `env:"LOGIN_ATTEMPTS_PER_ACCOUNT" envDefault:"10"`
	LoginAttemptsPerIP      int `env:"LOGIN_ATTEMPTS_PER_IP" envDefault:"100"`
}

// Validate checks the durations and the attempt counts.
func (c SignIn) Validate() error {
	var errs []error
	for name, n := range map[string]int{"LOGIN_ATTEMPTS_PER_ACCOUNT": c.LoginAttemptsPerAccount, "LOGIN_ATTEMPTS_PER_IP": c.LoginAttemptsPerIP} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s=%d: want a positive number of attempts per %s", name, n, LoginWindow))
		}
	}
	return errors.Join(append(errs, positive("ACCESS_TOKEN_TTL", c.AccessTokenTTL), positive("REFRESH_TOKEN_TTL", c.RefreshTokenTTL))...)
}

// Payments is the payment gateway.
type Payments struct {
	PaymentsURL string `env:"PAYMENTS_URL" envDefault:"http://127.0.0.1:4010"`
}

// Carrier is the parcel carrier's API. The default key is the sandbox's,
// for development only.
type Carrier struct {
	CarrierURL    string `env:"CARRIER_URL" envDefault:"http://127.0.0.1:4010"`
	CarrierAPIKey string `env:"CARRIER_API_KEY" envDefault:"sandbox-carrier-key" public:"default"`
}

// CarrierCallbacks verifies the carrier's tracking callbacks
// (internal/domain/carrier: HMAC-SHA256 under this shared secret). The
// default is for development only.
type CarrierCallbacks struct {
	CarrierWebhookSecret string `env:"CARRIER_WEBHOOK_SECRET" envDefault:"sandbox-carrier-webhook-secret" public:"default"`
}

// Validate asks for a secret long enough to resist guessing; the error
// never shows it.
func (c CarrierCallbacks) Validate() error {
	if len(c.CarrierWebhookSecret) < 16 {
		return errors.New("CARRIER_WEBHOOK_SECRET: want at least 16 characters (for example: openssl rand -hex 32)")
	}
	return nil
}

// RiskRules is the policy of the orders' risk assessments: a JSON file of
// rules (internal/domain/risk/default_rules.json shows the format); "" is
// that default policy. The worker refuses to start on a file it cannot read
// or whose rules are wrong.
type RiskRules struct {
	RiskRulesFile string `env:"RISK_RULES_FILE"`
}

// Reconcile is how often the orders worker looks for orders whose workflow
// closed without an outcome (a terminate) to repair.
type Reconcile struct {
	ReconcileInterval time.Duration `env:"RECONCILE_INTERVAL" envDefault:"1m"`
}

// Validate checks the interval.
func (c Reconcile) Validate() error { return positive("RECONCILE_INTERVAL", c.ReconcileInterval) }

// Providers are the notification providers. The defaults are the local
// sandboxes, which accept any key; production sets the providers' own URLs
// (https://api.sendgrid.com, https://api.twilio.com) and keys from its secret
// store.
type Providers struct {
	SendGridAPIKey   string `env:"SENDGRID_API_KEY" envDefault:"SG.sandbox" public:"default"`
	SendGridBaseURL  string `env:"SENDGRID_BASE_URL" envDefault:"http://127.0.0.1:4010"`
	EmailFrom        string `env:"EMAIL_FROM" envDefault:"orders@orderflow.local"`
	TwilioAccountSID string `env:"TWILIO_ACCOUNT_SID" envDefault:"AC00000000000000000000000000000000"`
	TwilioBaseURL    string `env:"TWILIO_BASE_URL" envDefault:"http://127.0.0.1:4010"`
	TwilioFrom       string `env:"TWILIO_FROM" envDefault:"+15005550006"`
	PushAPIKey       string `env:"PUSH_API_KEY" envDefault:"push-sandbox" public:"default"`
	PushBaseURL      string `env:"PUSH_BASE_URL" envDefault:"http://127.0.0.1:4010"`
}

// Breaker is the circuit breaker of each provider, shared by every
// notifications worker: BreakerFailures consecutive failed calls open it for
// BreakerOpenFor.
type Breaker struct {
	BreakerFailures uint32        `env:"BREAKER_FAILURES" envDefault:"5"`
	BreakerOpenFor  time.Duration `env:"BREAKER_OPEN_FOR" envDefault:"30s"`
}

// Validate checks the threshold and the period.
func (c Breaker) Validate() error {
	var err error
	if c.BreakerFailures == 0 {
		err = errors.New("BREAKER_FAILURES=0: want a positive integer")
	}
	return errors.Join(err, positive("BREAKER_OPEN_FOR", c.BreakerOpenFor))
}

// Admin is the first admin account, which `orderflow migrate` creates when
// absent. The defaults are for the local stack (it listens on loopback, and
// `make run` prints them); production refuses them.
type Admin struct {
	AdminEmail    string `env:"ADMIN_EMAIL" envDefault:"admin@orderflow.local" public:"default"`
	AdminPassword string `env:"ADMIN_PASSWORD" envDefault:"admin-demo-password" public:"default"`
}

// DemoCustomer is the customer account that `orderflow migrate --seed`
// creates in development, and that the load generator places orders as.
type DemoCustomer struct {
	DemoCustomerEmail    string `env:"DEMO_CUSTOMER_EMAIL" envDefault:"customer@orderflow.local"`
	DemoCustomerPassword string `env:"DEMO_CUSTOMER_PASSWORD" envDefault:"customer-demo-password"`
}

// SandboxServer is the local provider sandboxes' listener and state.
type SandboxServer struct {
	SandboxAddr string `env:"SANDBOX_ADDR" envDefault:"127.0.0.1:4010"`
	// SandboxSendGridWebhookKey is the private key (base64 PKCS #8) the
	// sandbox signs SendGrid events with; "" makes one at start.
	SandboxSendGridWebhookKey string `env:"SANDBOX_SENDGRID_WEBHOOK_KEY"`
	// SandboxStateFile keeps the sandbox payment gateway's state across
	// restarts ("" keeps it in memory); `orderflow dev` puts it in .data.
	SandboxStateFile string `env:"SANDBOX_STATE_FILE"`
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s=%s: want a positive duration such as 30s", name, d)
	}
	return nil
}
