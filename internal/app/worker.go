package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/events"
	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/providers"
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
		if queue == workflows.InventoryTaskQueue {
			acts.Inventory = &activities.InventoryActivities{Stock: inventory.NewStore(pool)}
			break
		}
		pub := events.NewPublisher(cfg.KafkaBrokers)
		defer pub.Close()
		checks["kafka"] = kafkaCheck(pub)
		acts.Orders = &activities.OrderActivities{Store: orders.NewStore(pool), Events: pub}
		acts.Payments = &activities.PaymentActivities{Gateway: payments.NewHTTPGateway(cfg.PaymentsURL, nil)}
	case workflows.NotificationsTaskQueue:
		sms, err := providers.NewTwilio(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioBaseURL, nil)
		if err != nil {
			return fmt.Errorf("twilio: %w", err)
		}
		acts.Notifications = &activities.NotificationActivities{
			Email:     providers.NewSendGrid(cfg.SendGridAPIKey, cfg.SendGridBaseURL, nil),
			SMS:       sms,
			EmailFrom: cfg.EmailFrom,
			SMSFrom:   cfg.TwilioFrom,
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
