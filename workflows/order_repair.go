package workflows

import (
	"errors"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RepairOrderInput starts a RepairOrderWorkflow: the order as the read model
// last saw it, and how its OrderWorkflow closed.
type RepairOrderInput struct {
	Order orders.Input `json:"order"`
	State orders.State `json:"state"`
	// ClosedAs is the execution status of the order's workflow, e.g.
	// "Terminated".
	ClosedAs string `json:"closed_as"`
}

// RepairOrderWorkflowID is the one repair of an order.
func RepairOrderWorkflowID(orderID string) string { return "repair-" + orderID }

// stoppedReason is what the customer reads about an order whose processing
// an operator stopped.
const stoppedReason = "The order was stopped before it could be completed."

// RepairOrderWorkflow finishes an order whose OrderWorkflow closed without
// its outcome: terminated by an operator (terminate skips the workflow's own
// compensations by nature), timed out, or failed. The orders worker's
// reconciler starts it (task queue orders, ID RepairOrderWorkflowID). It
// decides from the stock: stock already sold means the order was paid and
// completed, so it is recorded completed and shipped; otherwise the stock is released,
// any authorization the gateway made for the order is voided (refunded if
// it was captured), and the order is recorded cancelled. Every step is
// idempotent by the order's keys, so a repair run again changes nothing; a
// compensation that fails for good leaves the order needing attention, as in
// the saga.
func RepairOrderWorkflow(ctx workflow.Context, in RepairOrderInput) (orders.State, error) {
	s := &orderSaga{in: in.Order, state: in.State, statusSearchable: true}
	if s.state.Steps == nil {
		s.state.Steps = []orders.Step{}
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (orders.State, error) { return s.state, nil }); err != nil {
		return s.state, err
	}
	workflow.GetLogger(ctx).Error("repairing an order whose workflow closed without an outcome",
		"order_id", in.Order.OrderID, "closed_as", in.ClosedAs, "status", in.State.Status)

	// The stock decides: sold means paid and completed. Nothing else is
	// done until the release has an outcome, so a sold order is never
	// refunded because its release could not be decided in time.
	sold := false
	release := func(ctx workflow.Context) error {
		err := s.step(ctx, StepReleaseReservation, func() error {
			return releaseStock(ctx, in.Order.OrderID, "order workflow "+in.ClosedAs)
		})
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrReservationCommitted {
			sold = true
			return nil
		}
		return err
	}
	s.attend(ctx, s.compensate(ctx, []compensation{release}))
	final := orders.StatusCompleted
	if !sold {
		s.attend(ctx, s.compensate(ctx, []compensation{s.voidPayment}))
		final, s.state.FailureReason = orders.StatusCancelled, stoppedReason
		// The reservation's own workflow outlives its order (ABANDON) until
		// its TTL: end it now. It finds its stock released already.
		workflow.SignalExternalWorkflow(ctx, ReservationID(in.Order.OrderID), "", SignalReleaseReservation,
			ReleaseSignal{Reason: "order workflow " + in.ClosedAs})
	}
	s.notifyCustomer(ctx, final)
	s.state.Status, s.state.Attention = final, ""
	s.record(ctx, final.Event())
	if sold {
		s.shipRepaired(ctx)
	}
	return s.state, nil
}

// repairShipsChange marks repairs that ship the order they complete, as
// the saga would have. Repairs recorded before it end at completed.
const repairShipsChange = "repair-ships"

// shipRepaired ships a repaired order from where its reservation took the
// stock: the closed run's reservation state is gone with it, the ledger
// keeps it. A run terminated after it began shipping changes nothing: the
// plan and the children are idempotent by shipment ID.
func (s *orderSaga) shipRepaired(ctx workflow.Context) {
	if workflow.GetVersion(ctx, repairShipsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	var res activities.Reservation
	err := workflow.ExecuteActivity(inventoryCtx(ctx), inventoryActivities.GetReservation, ReservationID(s.in.OrderID)).Get(ctx, &res)
	if err != nil {
		workflow.GetLogger(ctx).Error("repaired order not shipped: its reservation could not be read",
			"order_id", s.in.OrderID, "error", err)
		return
	}
	s.ship(ctx, res.Allocations)
}

// releaseStock releases an order's reservation in the inventory service
// directly, from outside its ReservationWorkflow: for a reservation whose
// workflow is gone. It fails with ErrReservationCommitted when the stock was
// sold.
func releaseStock(ctx workflow.Context, orderID, reason string) error {
	req := activities.ReleaseReservationRequest{ReservationID: ReservationID(orderID), OrderID: orderID, Reason: reason}
	return workflow.ExecuteActivity(inventoryCtx(ctx), inventoryActivities.ReleaseReservation, req).Get(ctx, nil)
}
