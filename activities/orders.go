package activities

import (
	"context"
	"fmt"

	"github.com/orderflow/orderflow/internal/events"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/workflows"
)

// OrderActivities keep the orders read model and publish order events.
type OrderActivities struct {
	Store  *orders.Store
	Events *events.Publisher
}

// RecordOrderState stores the saga state in the read model (older states
// never overwrite newer ones) and publishes req.Event, if any. The event ID
// is derived from the workflow and the event, so a retried publish carries
// the same ID and consumers can drop the duplicate.
//
// The event is stored with the state in one transaction, then published: a
// failed publish retries the activity, which rewrites nothing and publishes
// again, so Kafka gets every event at least once.
func (a *OrderActivities) RecordOrderState(ctx context.Context, req workflows.RecordOrderStateRequest) error {
	var stored *orders.Event
	id := workflows.OrderWorkflowID(req.State.OrderID) + "/" + req.Event
	if req.Event != "" {
		stored = &orders.Event{ID: id, Type: req.Event, Status: req.State.Status,
			Reason: req.State.FailureReason, OccurredAt: req.State.UpdatedAt}
	}
	if err := a.Store.SaveState(ctx, req.Input, req.State, stored); err != nil {
		return fmt.Errorf("save order %s state: %w", req.State.OrderID, err)
	}
	if stored == nil {
		return nil
	}
	ev, err := events.New(id, req.Event, "/orderflow/orders", req.State.OrderID, req.State.UpdatedAt, orderEventData{
		OrderID: req.State.OrderID, CustomerID: req.Input.CustomerID, Status: req.State.Status,
		Total: req.Input.Total, Currency: req.Input.Currency, FailureReason: req.State.FailureReason,
	})
	if err != nil {
		return err
	}
	if err := a.Events.Publish(ctx, events.OrdersTopic, req.State.OrderID, ev); err != nil {
		return fmt.Errorf("publish %s for order %s: %w", req.Event, req.State.OrderID, err)
	}
	return nil
}

// orderEventData is the data of every order event.
type orderEventData struct {
	OrderID       string `json:"order_id"`
	CustomerID    string `json:"customer_id"`
	Status        string `json:"status"`
	Total         int64  `json:"total"`
	Currency      string `json:"currency"`
	FailureReason string `json:"failure_reason,omitempty"`
}
