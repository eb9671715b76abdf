// Package integration runs orderflow end to end on the real local stack:
// PostgreSQL, Redis, Kafka (kfake) and the Temporal dev server, started by
// the test itself on free loopback ports with data in a temporary directory,
// plus the provider sandboxes, the API and the notifications worker
// in-process; the orders, inventory and fulfilment workers run as processes of the
// orderflow binary, which tests kill (inventory_worker_test.go).
package integration

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/logging"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/workflows"
)

// stack is what the tests talk to.
var stack struct {
	cfg      config.Stack
	apiURL   string
	apiOps   string // the api's probes and metrics (OPS_ADDR)
	sandbox  *sandbox.Sandbox
	db       *pgxpool.Pool
	temporal client.Client
	infra    *app.Infra // to restart servers under load
	// codec is the roles' payload encryption, which temporal uses too;
	// payloads read raw from a history need it.
	codec *payloadcrypt.Codec
	// spans are what every role exported (collector_test.go).
	spans *collector
	// workerOps maps a task queue to its worker's ops URL (in-process or
	// the current worker process).
	workerOps map[string]string
	// customer and admin are the demo customer and the admin, signed in:
	// requests are the customer's unless they say otherwise (request).
	customer, admin session
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "orderflow-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Keep the run's server logs readable on failure, not on stdout.
	logFile, err := os.Create(filepath.Join(dir, "orderflow.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logger := logging.New(logFile, "info")

	infra, err := app.StartInfra(ctx, app.InfraOptions{
		DataDir: dir, TemporalCLI: filepath.Join("..", "..", "bin", "temporal"), Fast: true, Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local stack (run `make build` first for bin/temporal):", err)
		return 1
	}
	defer infra.Stop(context.Background())
	stack.infra = infra

	// Every role traces, in this process and in the worker processes, which
	// inherit the environment; the batches go out every 100 ms.
	stack.spans = startCollector()
	defer stack.spans.srv.Close()
	for name, value := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": stack.spans.srv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "100",
	} {
		os.Setenv(name, value)
	}

	// The API's address comes first: the sandbox posts delivery callbacks to it.
	apiAddr := freeAddr()
	stack.apiURL = "http://" + apiAddr
	stack.sandbox = sandbox.New(sandbox.Options{
		Logger:                  logger,
		TwilioAuthToken:         config.Defaults[config.TwilioAuth]().TwilioAuthToken,
		SendGridEventWebhookURL: stack.apiURL + api.SendGridWebhookPath,
		WebhookSigningSecret:    config.Defaults[config.WebhookSigning]().WebhookSigningSecret,
		CarrierAPIKey:           config.Defaults[config.Carrier]().CarrierAPIKey,
		CarrierCallbackURL:      stack.apiURL + api.CarrierWebhookPath,
		CarrierSigningSecret:    config.Defaults[config.CarrierCallbacks]().CarrierWebhookSecret,
	})
	defer stack.sandbox.Close()
	sandboxSrv := httptest.NewServer(gatewayFinishesWatchedCalls(stack.sandbox)) // see orders_worker_test.go
	defer sandboxSrv.Close()

	cfg := infra.Configure(config.Defaults[config.Stack]())
	cfg.PaymentsURL, cfg.SendGridBaseURL, cfg.TwilioBaseURL = sandboxSrv.URL, sandboxSrv.URL, sandboxSrv.URL
	cfg.PushBaseURL, cfg.CarrierURL = sandboxSrv.URL, sandboxSrv.URL
	cfg.WebhookAllowedNetworks = safehttp.LoopbackNetworks() // the sandbox's webhook receiver (notification_test.go)
	cfg.PublicAPIURL = stack.apiURL
	cfg.SendGridWebhookPublicKey = stack.sandbox.SendGridEventWebhookPublicKey()
	// A short open period keeps the provider outage test short (notification_test.go).
	cfg.BreakerOpenFor = breakerOpenFor
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.ApprovalThreshold = 20_000      // orders over 200.00 wait for approval (approval_test.go)
	cfg.ReconcileInterval = time.Second // repair_test.go
	// Integrators' deliveries retry within the test's patience (webhook_endpoints_test.go).
	cfg.WebhookFirstRetry = 200 * time.Millisecond
	cfg.APIAddr = apiAddr
	apiOps := freeAddr()
	stack.apiOps = "http://" + apiOps
	// The suite places hundreds of orders from 127.0.0.1: far above any of
	// them. ratelimit_test.go starts replicas with a real limit.
	cfg.RateLimitPerMinute = 1_000_000
	// Tests sign up and sign in many times from 127.0.0.1; auth_test.go
	// starts a replica with a real limit. One token lasts the whole run.
	cfg.LoginAttemptsPerAccount, cfg.LoginAttemptsPerIP = 1_000_000, 1_000_000
	cfg.AccessTokenTTL = time.Hour
	stack.cfg = cfg

	if err := app.Seed(ctx, settings[config.Seed](cfg), logger); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		return 1
	}
	if stack.db, err = pgxpool.New(ctx, cfg.DatabaseURL); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.db.Close()
	if stack.codec, err = payloadcrypt.New(cfg.PayloadEncryptionKeys); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if stack.temporal, err = client.Dial(client.Options{HostPort: cfg.TemporalAddress, Logger: silentSDKLogger(),
		DataConverter: stack.codec.DataConverter(), FailureConverter: stack.codec.FailureConverter()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.temporal.Close()

	var roles sync.WaitGroup
	roleCtx, stopRoles := context.WithCancel(ctx)
	defer stopRoles()
	start := func(name string, run func(context.Context) error) {
		roles.Add(1)
		go func() {
			defer roles.Done()
			if err := run(roleCtx); err != nil && roleCtx.Err() == nil {
				fmt.Fprintf(os.Stderr, "%s stopped: %v\n", name, err)
			}
		}()
	}
	apiCfg := cfg
	apiCfg.OpsAddr = apiOps
	start("api", func(ctx context.Context) error { return app.RunAPI(ctx, settings[config.API](apiCfg), logger) })
	stack.workerOps = map[string]string{}
	for _, q := range workflows.TaskQueues {
		if slices.Contains(processQueues, q) {
			continue // a process of its own, which a test kills: see inventory_worker_test.go
		}
		wcfg := cfg
		wcfg.OpsAddr = freeAddr()
		stack.workerOps[q] = "http://" + wcfg.OpsAddr
		start("worker "+q, func(ctx context.Context) error { return app.RunWorker(ctx, q, config.LookupOf(wcfg), logger) })
	}
	defer stopWorkerProcesses() // before setting up: stops those that started when one fails
	if err := setUpWorkerProcesses(ctx, dir, logger); err != nil {
		fmt.Fprintln(os.Stderr, "worker processes:", err)
		return 1
	}
	if err := waitReady(stack.apiOps+"/readyz", time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The accounts app.Migrate created.
	if stack.customer, err = signIn(cfg.DemoCustomerEmail, cfg.DemoCustomerPassword); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if stack.admin, err = signIn(cfg.AdminEmail, cfg.AdminPassword); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	asAdmin = bearer(stack.admin.AccessToken)

	code := m.Run()
	stopRoles()
	roles.Wait()
	if code != 0 {
		// Show the stack's own log on failure: it says why.
		for _, log := range append([]string{logFile.Name()}, workerProcessLogs()...) {
			if b, err := os.ReadFile(log); err == nil {
				os.Stderr.Write(tail(b, 20000))
			}
		}
	}
	return code
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s", url, within, last)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func silentSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

// settings is the share of the stack's settings that one role reads.
func settings[T any](stack config.Stack) T {
	c, err := config.From[T](stack)
	if err != nil {
		panic(err)
	}
	return c
}
