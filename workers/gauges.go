package workers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// gaugeEvery is how often the workers count what the read models hold.
const gaugeEvery = 15 * time.Second

var (
	awaitingApproval = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "orderflow_orders_awaiting_approval",
		Help: "Orders waiting for an admin's approval, as the orders read model shows them.",
	})
	heldReservations = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "orderflow_reservations_held",
		Help: "Reservations holding stock now.",
	})
)

// CountApprovals keeps orderflow_orders_awaiting_approval until ctx ends.
// It counts the read model rather than the workflows: the count survives a
// worker's restart, and every replica reports the same figure.
func CountApprovals(ctx context.Context, store *orders.Store) {
	telemetry.Sample(ctx, gaugeEvery, func(ctx context.Context) {
		if n, err := store.CountInStatus(ctx, orders.StatusAwaitingApproval); err == nil {
			awaitingApproval.Set(float64(n))
		}
	})
}

// CountHeldReservations keeps orderflow_reservations_held until ctx ends.
func CountHeldReservations(ctx context.Context, stock *inventory.Store) {
	telemetry.Sample(ctx, gaugeEvery, func(ctx context.Context) {
		if n, err := stock.HeldReservations(ctx); err == nil {
			heldReservations.Set(float64(n))
		}
	})
}
