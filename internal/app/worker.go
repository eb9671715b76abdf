package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/events"
	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/workers"
	"github.com/orderflow/orderflow/workflows"
)

// RunWorker runs the Temporal worker of one task queue, with its health,
// readiness and metrics on cfg.OpsAddr, until ctx ends; then it stops
// polling and lets in-flight tasks finish.
func RunWorker(ctx context.Context, cfg config.Config, queue string, logger *slog.Logger) error {
	logger = logger.With("task_queue", queue)
	tc, err := dialTemporal(cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	checks := map[string]httpx.Check{"temporal": temporalCheck(tc)}

	var acts workers.Activities
	switch queue {
	case workflows.OrdersTaskQueue, workflows.InventoryTaskQueue:
		pool, err := openPostgres(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		checks["postgres"] = postgresCheck(pool)
		pub := events.NewPublisher(cfg.KafkaBrokers)
		defer pub.Close()
		checks["kafka"] = kafkaCheck(pub)
		if queue == workflows.InventoryTaskQueue {
			rdb := openRedis(cfg)
			defer rdb.Close()
			checks["redis"] = redisCheck(rdb)
			stock := inventory.NewStore(pool, inventory.WithCache(inventory.NewCache(rdb, logger)))
			acts.Inventory = &activities.InventoryActivities{Stock: stock}
			defer runRelay(ctx, inventory.NewRelay(stock, pub, logger).Run)()
			break
		}
		store := orders.NewStore(pool)
		defer runRelay(ctx, func(ctx context.Context) { store.RunRelay(ctx, pub, logger) })()
		reconciler := &workers.Reconciler{Store: store, Temporal: tc, Namespace: cfg.TemporalNamespace,
			Every: cfg.ReconcileInterval, Lookback: reconcileLookback, Logger: logger}
		go reconciler.Run(ctx)
		acts.Orders = &activities.OrderActivities{Store: store}
		acts.Payments = &activities.PaymentActivities{Gateway: payments.NewHTTPGateway(cfg.PaymentsURL, nil)}
	case workflows.NotificationsTaskQueue:
		pool, err := openPostgres(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		rdb := openRedis(cfg)
		defer rdb.Close()
		checks["postgres"], checks["redis"] = postgresCheck(pool), redisCheck(rdb)
		if acts.Notifications, err = notificationActivities(cfg, pool, rdb, logger); err != nil {
			return err
		}
	}
	w, err := workers.New(tc, queue, acts)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker for %s: %w", queue, err)
	}
	logger.Info("worker started")

	r := mux.NewRouter()
	httpx.InstallRouting(r)
	httpx.MountOps(r, checks)
	ops := httpx.NewServer(cfg.OpsAddr, httpx.Observe("worker-"+queue, logger, r))
	opsCtx, stopOps := context.WithCancel(context.Background())
	defer stopOps()
	opsDone := make(chan error, 1)
	go func() { opsDone <- httpx.Serve(opsCtx, ops, cfg.ShutdownTimeout, logger) }()

	select {
	case <-ctx.Done():
	case err := <-opsDone: // the ops port is taken: a worker nobody can probe must not run
		w.Stop()
		return err
	}
	// Stop polling and drain in-flight tasks while the ops endpoints still
	// answer, then stop serving them.
	w.Stop()
	stopOps()
	return <-opsDone
}

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
