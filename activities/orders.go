package activities

import (
	"context"
	"fmt"

	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/requestid"
	"github.com/orderflow/orderflow/workflows"
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
func (a *OrderActivities) RecordOrderState(ctx context.Context, req workflows.RecordOrderStateRequest) error {
	var ev *orders.Event
	if req.Event != "" {
		ev = &orders.Event{
			ID: workflows.OrderWorkflowID(req.State.OrderID) + "/" + req.Event, Type: req.Event,
			Status: req.State.Status, Reason: req.State.FailureReason, OccurredAt: req.State.UpdatedAt,
			RequestID: requestid.From(ctx), // from the workflow's header: see requestid.Propagator
		}
	}
	if err := a.Store.SaveState(ctx, req.Input, req.State, ev); err != nil {
		return fmt.Errorf("save order %s state: %w", req.State.OrderID, err)
	}
	return nil
}
