package config

import (
	"errors"
	"fmt"
	"reflect"
)

// The settings of each role: what its process reads, and nothing more (the
// Kubernetes manifests and docker-compose.yml give each role exactly these
// variables; k8s/settings_test.go checks it).

// API is `orderflow api`.
type API struct {
	Log
	Shutdown
	Environment
	APIServer
	Ops
	Postgres
	Redis
	Temporal
	PayloadEncryption
	CodecServer
	OrderPolicy
	FrontDoor
	SignIn
	// Provider callbacks: Twilio signs PUBLIC_API_URL/webhooks/twilio with
	// the auth token; SendGrid signs its events with a key pair.
	PublicAPI
	TwilioAuth
	SendGridEvents
	// The carrier signs its tracking callbacks with a shared secret.
	CarrierCallbacks
	TraceQuery
	// Browsers subscribe to Web Push with the public key it hands out.
	WebPushKey
	// Admins' webhook endpoints are checked at creation and redelivered.
	WebhookEndpoints
}

// Frontend is `orderflow frontend`.
type Frontend struct {
	Log
	Shutdown
	Environment
	FrontendServer
	DashboardLinks
	Ops
	APIClient
	Redis
}

// Worker is what every worker reads: its probes' listener, Temporal with
// its payload keys and its version, and its service's database. Production
// refuses the development payload key (Environment).
type Worker struct {
	Log
	Shutdown
	Environment
	Ops
	Temporal
	WorkerVersion
	PayloadEncryption
	Postgres
}

// OrdersWorker is `orderflow worker --queue orders`.
type OrdersWorker struct {
	Worker
	Kafka
	Payments
	Reconcile
	// The risk assessments count recent orders and declines in Redis.
	Redis
	RiskRules
}

// InventoryWorker is `orderflow worker --queue inventory`.
type InventoryWorker struct {
	Worker
	Kafka
	Redis
}

// NotificationsWorker is `orderflow worker --queue notifications`. It
// holds the providers' credentials, so production refuses their public
// development values.
type NotificationsWorker struct {
	Worker
	Redis
	Breaker
	Providers
	WebhookSigning
	// Integrators' webhook endpoints get the events of every topic.
	Kafka
	WebhookEndpoints
	// Twilio's status callbacks go to PUBLIC_API_URL/webhooks/twilio.
	PublicAPI
	TwilioAuth
	// Web Push messages are signed with the VAPID key pair.
	WebPushKey
	WebPushSigning
}

// FulfilmentWorker is `orderflow worker --queue fulfilment`: the shipments,
// booked with the carrier, whose credentials it holds.
type FulfilmentWorker struct {
	Worker
	Carrier
}

// Migrate is `orderflow migrate`; production refuses the demo admin.
type Migrate struct {
	Log
	Environment
	Postgres
	Admin
}

// SchemaWait is `orderflow wait-for-schema`: the database it waits on.
type SchemaWait struct {
	Log
	Postgres
}

// Seed is `orderflow migrate --seed` (development only): the demo customer
// too.
type Seed struct {
	Migrate
	DemoCustomer
}

// InventoryRebuild is `orderflow inventory-rebuild`.
type InventoryRebuild struct {
	Log
	Postgres
	Redis
}

// Sandbox is `orderflow sandbox` (development and tests only).
type Sandbox struct {
	Log
	Shutdown
	SandboxServer
	PublicAPI
	TwilioAuth
	WebhookSigning
	// The sandbox carrier checks the fulfilment worker's key and signs
	// its callbacks as the API expects.
	Carrier
	CarrierCallbacks
}

// Loadgen is `orderflow loadgen`: it places orders as the demo customer,
// and runs its bare-engine workflows on the stack's Temporal, with its
// payload keys, as a worker does. With --deliver it moves the parcels on at
// the carrier, which must be the sandbox's (CARRIER_URL): only it takes
// orders to move them.
type Loadgen struct {
	Log
	APIClient
	DemoCustomer
	Temporal
	PayloadEncryption
	Carrier
}

// Stack is every group once: the whole platform's settings, which
// `orderflow dev` and the integration tests point at the local stack and
// hand to each role (From, Environ).
type Stack struct {
	Log
	Shutdown
	Environment
	Ops
	APIServer
	APIClient
	FrontendServer
	DashboardLinks
	Postgres
	Redis
	Temporal
	PayloadEncryption
	CodecServer
	WorkerVersion
	Kafka
	OrderPolicy
	FrontDoor
	SignIn
	PublicAPI
	TwilioAuth
	WebhookSigning
	WebhookEndpoints
	SendGridEvents
	TraceQuery
	Payments
	Reconcile
	RiskRules
	Carrier
	CarrierCallbacks
	Providers
	Breaker
	WebPushKey
	WebPushSigning
	Admin
	DemoCustomer
	SandboxServer
}

// Dev is `orderflow dev`: where the local stack keeps its data and what it
// listens on. It hands the roles a Stack read from its own environment,
// pointed at what it started.
type Dev struct {
	Log
	DataDir     string `env:"ORDERFLOW_DATA_DIR" envDefault:".data"`
	TemporalCLI string `env:"TEMPORAL_CLI" envDefault:"bin/temporal"`
	// Jaeger is built by `make run` only; without it the stack runs
	// untraced.
	Jaeger string `env:"JAEGER_BIN" envDefault:"bin/jaeger"`
	// TemporalMode picks what serves Temporal: "dev", the CLI's dev server
	// on SQLite, or "server", the real server on the local PostgreSQL with
	// TemporalHistoryShards shards and the Web UI server in front of it:
	// closer to production, for load tests with more than one shard.
	TemporalMode          string `env:"TEMPORAL_MODE" envDefault:"dev"`
	TemporalHistoryShards int    `env:"TEMPORAL_HISTORY_SHARDS" envDefault:"4"`
	// The server mode's binaries, built from temporal/server by
	// `TEMPORAL_MODE=server make run`.
	TemporalServer   string `env:"TEMPORAL_SERVER_BIN" envDefault:"bin/temporal-server"`
	TemporalSQLTool  string `env:"TEMPORAL_SQL_TOOL_BIN" envDefault:"bin/temporal-sql-tool"`
	TemporalUIServer string `env:"TEMPORAL_UI_SERVER_BIN" envDefault:"bin/temporal-ui-server"`
	// WorkerReplicas is how many processes of each worker role run, each
	// with its own ops port (the role's port + 10 per replica).
	WorkerReplicas int `env:"DEV_WORKER_REPLICAS" envDefault:"1"`
	DevPorts
}

// DevPorts are the local stack's listeners, all on loopback.
type DevPorts struct {
	PostgresPort            int `env:"POSTGRES_PORT" envDefault:"5432"`
	RedisPort               int `env:"REDIS_PORT" envDefault:"6379"`
	KafkaPort               int `env:"KAFKA_PORT" envDefault:"9092"`
	TemporalPort            int `env:"TEMPORAL_PORT" envDefault:"7233"`
	TemporalUIPort          int `env:"TEMPORAL_UI_PORT" envDefault:"8233"`
	SandboxPort             int `env:"SANDBOX_PORT" envDefault:"4010"`
	APIPort                 int `env:"API_PORT" envDefault:"8080"`
	APIOpsPort              int `env:"API_OPS_PORT" envDefault:"9100"`
	FrontendPort            int `env:"FRONTEND_PORT" envDefault:"3000"`
	FrontendOpsPort         int `env:"FRONTEND_OPS_PORT" envDefault:"9104"`
	WorkerOrdersPort        int `env:"WORKER_ORDERS_PORT" envDefault:"9101"`
	WorkerInventoryPort     int `env:"WORKER_INVENTORY_PORT" envDefault:"9102"`
	WorkerNotificationsPort int `env:"WORKER_NOTIFICATIONS_PORT" envDefault:"9103"`
	WorkerFulfilmentPort    int `env:"WORKER_FULFILMENT_PORT" envDefault:"9105"`
	PrometheusPort          int `env:"PROMETHEUS_PORT" envDefault:"9090"`
	JaegerPort              int `env:"JAEGER_PORT" envDefault:"16686"`
	OTLPGRPCPort            int `env:"OTLP_GRPC_PORT" envDefault:"4317"` // Jaeger's OTLP receivers,
	OTLPHTTPPort            int `env:"OTLP_HTTP_PORT" envDefault:"4318"` // where every role sends its traces
}

// Validate checks every port is one.
func (c DevPorts) Validate() error {
	var errs []error
	walk(reflect.ValueOf(c), func(name string, _ reflect.StructField, v reflect.Value) {
		if p := v.Int(); p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s=%d: want a port number from 1 to 65535", name, p))
		}
	})
	return errors.Join(errs...)
}
