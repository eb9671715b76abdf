package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/payments"
	"github.com/orderflow/orderflow/internal/domain/risk"
	"github.com/orderflow/orderflow/internal/platform/buildinfo"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workers"
	"github.com/orderflow/orderflow/workflows"
)

// RunWorker runs the Temporal worker of one task queue with its settings
// from lookup (config.OrdersWorker, config.InventoryWorker or
// config.NotificationsWorker).
func RunWorker(ctx context.Context, queue string, lookup config.Lookup, logger *slog.Logger) error {
	switch queue {
	case workflows.OrdersTaskQueue:
		cfg, err := config.Load[config.OrdersWorker](lookup)
		if err != nil {
			return err
		}
		return RunOrdersWorker(ctx, cfg, logger)
	case workflows.InventoryTaskQueue:
		cfg, err := config.Load[config.InventoryWorker](lookup)
		if err != nil {
			return err
		}
		return RunInventoryWorker(ctx, cfg, logger)
	case workflows.NotificationsTaskQueue:
		cfg, err := config.Load[config.NotificationsWorker](lookup)
		if err != nil {
			return err
		}
		return RunNotificationsWorker(ctx, cfg, logger)
	case workflows.FulfilmentTaskQueue:
		cfg, err := config.Load[config.FulfilmentWorker](lookup)
		if err != nil {
			return err
		}
		return RunFulfilmentWorker(ctx, cfg, logger)
	}
	return fmt.Errorf("unknown task queue %q: want one of %v", queue, workflows.TaskQueues)
}

// RunOrdersWorker runs the orders worker: the order sagas and their repairs,
// the risk assessments, the payments, the orders read model with its outbox relay, and the
// reconciler.
func RunOrdersWorker(ctx context.Context, cfg config.OrdersWorker, logger *slog.Logger) error {
	logger = logger.With("task_queue", workflows.OrdersTaskQueue)
	rules, err := risk.LoadRules(cfg.RiskRulesFile)
	if err != nil {
		return err
	}
	c, err := connect(ctx, wants{Role: "worker-orders", Temporal: &cfg.Temporal, Payloads: &cfg.PayloadEncryption, Postgres: &cfg.Postgres, Redis: &cfg.Redis, Kafka: &cfg.Kafka}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	store := orders.NewStore(c.pool)
	defer runRelay(ctx, store.Relay(c.kafka, logger).Run)()
	reconciler := &workers.Reconciler{Store: store, Temporal: c.temporal, Namespace: c.namespace,
		Every: cfg.ReconcileInterval, Lookback: reconcileLookback, Logger: logger}
	go reconciler.Run(ctx)
	go workers.CountApprovals(ctx, store)
	acts := workers.Activities{
		Orders:   &activities.OrderActivities{Store: store},
		Payments: &activities.PaymentActivities{Gateway: payments.NewHTTPGateway(cfg.PaymentsURL, httpx.ProviderClient("payments", providerTimeout, c.tracing.Provider))},
		Risk:     &activities.RiskActivities{Rules: rules, Counters: risk.NewCounters(c.redis)},
	}
	return runWorker(ctx, c, workflows.OrdersTaskQueue, acts, cfg.Worker, logger)
}

// RunInventoryWorker runs the inventory worker: the stock reservations, the
// stock ledger with its cache and outbox relay.
func RunInventoryWorker(ctx context.Context, cfg config.InventoryWorker, logger *slog.Logger) error {
	logger = logger.With("task_queue", workflows.InventoryTaskQueue)
	c, err := connect(ctx, wants{Role: "worker-inventory", Temporal: &cfg.Temporal, Payloads: &cfg.PayloadEncryption, Postgres: &cfg.Postgres, Redis: &cfg.Redis, Kafka: &cfg.Kafka}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	stock := inventory.NewStore(c.pool, inventory.WithCache(inventory.NewCache(c.redis, logger)))
	defer runRelay(ctx, stock.Relay(c.kafka, logger).Run)()
	go workers.CountHeldReservations(ctx, stock)
	acts := workers.Activities{Inventory: &activities.InventoryActivities{Stock: stock}}
	return runWorker(ctx, c, workflows.InventoryTaskQueue, acts, cfg.Worker, logger)
}

// RunNotificationsWorker runs the notifications worker: the deliveries on
// every channel, behind circuit breakers shared in Redis, the relay of the
// notification events, and the integrators' webhooks.
func RunNotificationsWorker(ctx context.Context, cfg config.NotificationsWorker, logger *slog.Logger) error {
	logger = logger.With("task_queue", workflows.NotificationsTaskQueue)
	c, err := connect(ctx, wants{Role: "worker-notifications", Temporal: &cfg.Temporal, Payloads: &cfg.PayloadEncryption, Postgres: &cfg.Postgres, Redis: &cfg.Redis, Kafka: &cfg.Kafka}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	notify, err := notificationActivities(cfg, c, logger)
	if err != nil {
		return err
	}
	defer runRelay(ctx, notify.Store.Relay(c.kafka, logger).Run)()
	hooks := webhookActivities(cfg, c)
	go func() {
		if err := fanOutWebhooks(ctx, cfg, c, hooks.Store, logger); err != nil {
			logger.Error("webhook fan-out stopped", "error", err)
		}
	}()
	return runWorker(ctx, c, workflows.NotificationsTaskQueue, workers.Activities{Notifications: notify, Webhooks: hooks}, cfg.Worker, logger)
}

// RunFulfilmentWorker runs the fulfilment worker: the shipments, booked
// with the carrier and recorded in the orders read model (whose outbox the
// orders worker relays).
func RunFulfilmentWorker(ctx context.Context, cfg config.FulfilmentWorker, logger *slog.Logger) error {
	logger = logger.With("task_queue", workflows.FulfilmentTaskQueue)
	c, err := connect(ctx, wants{Role: "worker-fulfilment", Temporal: &cfg.Temporal, Payloads: &cfg.PayloadEncryption, Postgres: &cfg.Postgres}, logger)
	if err != nil {
		return err
	}
	defer c.close()
	acts := workers.Activities{Fulfilment: &activities.FulfilmentActivities{Store: orders.NewStore(c.pool),
		Carrier: carrier.NewClient(cfg.CarrierURL, cfg.CarrierAPIKey, httpx.ProviderClient("carrier", providerTimeout, c.tracing.Provider))}}
	return runWorker(ctx, c, workflows.FulfilmentTaskQueue, acts, cfg.Worker, logger)
}

// runWorker runs the worker of queue, as its version in the queue's Worker
// Deployment, with its health, readiness and metrics on the ops address,
// until ctx ends; then it stops polling and lets in-flight tasks finish.
func runWorker(ctx context.Context, c *conns, queue string, acts workers.Activities, cfg config.Worker, logger *slog.Logger) error {
	ops, shutdown := cfg.Ops, cfg.Shutdown
	buildID := cmp.Or(cfg.WorkerBuildID, buildinfo.Version())
	version := workers.Version(queue, buildID)
	logger = logger.With("deployment", version.DeploymentName, "build_id", buildID)
	w, err := workers.New(c.temporal, queue, buildID, acts)
	if err != nil {
		return err
	}
	opsDone, stopOps, err := serveOps(ops, "worker-"+queue, c.checks, shutdown.ShutdownTimeout, logger)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		stopOps()
		return errors.Join(fmt.Errorf("start worker for %s: %w", queue, err), <-opsDone)
	}
	logger.Info("worker started")
	// A deployment's first version becomes current by itself; later ones
	// wait for their rollout. In the background: the server learns of the
	// version from the worker's first polls.
	go func() {
		promoteCtx, cancel := context.WithTimeout(ctx, promoteWithin)
		defer cancel()
		if err := workers.PromoteFirstVersion(promoteCtx, c.temporal, version, logger); err != nil && ctx.Err() == nil {
			logger.Warn("could not check whether this worker's deployment has a current version; "+
				"if it has none, make it: temporal worker deployment set-current-version --deployment-name "+
				version.DeploymentName+" --build-id "+buildID, "error", err)
		}
	}()

	select {
	case <-ctx.Done():
	case err := <-opsDone: // the ops server failed: a worker nobody can probe must not run
		w.Stop()
		return err
	}
	// Stop polling and drain in-flight tasks while the ops endpoints still
	// answer, then stop serving them.
	w.Stop()
	stopOps()
	return <-opsDone
}

// promoteWithin bounds how long a worker tries to make its deployment's
// first version current.
const promoteWithin = 2 * time.Minute

// reconcileLookback is how far back the reconciler looks for order
// workflows that closed without an outcome: as far as visibility keeps
// closed workflows by default (a namespace's retention).
const reconcileLookback = 7 * 24 * time.Hour

// runRelay runs an outbox relay in the background and returns the function
// that stops it and waits. The relay outlives ctx until that call, which
// RunWorker defers past the worker's drain: what in-flight tasks commit
// still goes out.
func runRelay(ctx context.Context, run func(context.Context)) (stop func()) {
	relayCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(relayCtx)
	}()
	return func() {
		cancel()
		<-done
	}
}
