package activities

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// OrderActivities keep the orders read model and its outbox of order events.
type OrderActivities struct {
	Store *orders.Store
}

// RecordOrderState stores the saga state in the read model (older states
// never overwrite newer ones) and req.Event, if any, in the outbox, in one
// transaction; the orders worker's relay publishes it to Kafka. The event ID
// is derived from the workflow and the event, so a retry stores it once and
// consumers can drop a re-published duplicate.
func (a *OrderActivities) RecordOrderState(ctx context.Context, req RecordOrderStateRequest) error {
	var ev *orders.Event
	if req.Event != "" {
		ev = &orders.Event{
			ID: orders.WorkflowID(req.State.OrderID) + "/" + req.Event, Type: req.Event,
			Status: req.State.Status, Reason: eventReason(req.State), OccurredAt: req.State.UpdatedAt,
			// The request ID comes from the workflow's header (see
			// requestid.Propagator), the trace from the activity's span.
			Origin: events.OriginOf(ctx),
		}
	}
	if err := a.Store.SaveState(ctx, req.Input, req.State, ev); err != nil {
		return writeError(fmt.Errorf("save order %s state: %w", req.State.OrderID, err))
	}
	if ev != nil {
		orderEvents.WithLabelValues(ev.Type).Inc()
	}
	return nil
}

// orderEvents counts the order events recorded, by type: the orders' outcomes
// (order.completed, order.failed, order.cancelled) and order.needs_attention,
// which an operator is alerted on. (A write retried after it committed counts
// twice; the events themselves are stored once.)
var orderEvents = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_order_events_total",
	Help: "Order events recorded by the orders worker, by type (order.completed, order.needs_attention, ...).",
}, []string{"type"})

// eventReason is why the order is where it is: what is left undone for an
// order that needs attention, the failure reason otherwise.
func eventReason(st orders.State) string {
	if st.Status == orders.StatusNeedsAttention {
		return st.Attention
	}
	return st.FailureReason
}

// PlanShipments records a completed order's shipments, pending, before
// their workflows start (orders.Store.PlanShipments).
func (a *OrderActivities) PlanShipments(ctx context.Context, list []orders.Shipment) error {
	if err := a.Store.PlanShipments(ctx, list); err != nil {
		return writeError(fmt.Errorf("plan shipments: %w", err))
	}
	return nil
}
