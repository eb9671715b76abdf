package workflows

import (
	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// heldStock is the order saga's side of its ReservationWorkflow: a child on
// the inventory task queue that tells the saga when the stock is held, is
// told to confirm or release it, and reports how it ended in its result.
type heldStock struct {
	child workflow.ChildWorkflowFuture
	// signalsLocally: decisions go to the child by a local activity
	// (localCallsChange), not a SignalChildWorkflow command.
	signalsLocally bool
	state          ReservationState // the child's latest word
	ended          bool             // state is the child's result
	err            error            // the child failed
}

// reserveStock starts the order's ReservationWorkflow and waits until it
// holds the stock (its held signal) or has ended without it (its result).
// Nothing cancels the wait: like an activity with WaitForCancellation, the
// saga learns the outcome, and compensates a reservation that was made.
// signalsLocally is the saga's choice of how the two signal each other
// (trackLocalCalls).
func reserveStock(ctx workflow.Context, in orders.Input, signalsLocally bool) (*heldStock, error) {
	lines := make([]inventory.Line, len(in.Items))
	for i, it := range in.Items {
		lines[i] = inventory.Line{SKU: it.SKU, Quantity: it.Quantity}
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: ReservationID(in.OrderID),
		TaskQueue:  InventoryTaskQueue,
		// An order terminated before it settled its stock leaves the
		// reservation running: its TTL gives the stock back.
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	// Cancelling the order must not cancel the reservation halfway: the saga
	// releases it as a compensation.
	cctx, _ = workflow.NewDisconnectedContext(cctx)
	h := &heldStock{signalsLocally: signalsLocally, child: workflow.ExecuteChildWorkflow(cctx, ReservationWorkflow, ReservationInput{
		OrderID: in.OrderID, Lines: lines, TTL: in.ReservationTTL, SignalsLocally: signalsLocally,
	})}
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalReservationHeld), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &h.state)
	})
	sel.AddFuture(h.child, func(workflow.Future) { h.wait(ctx) })
	sel.Select(ctx)
	return h, h.holding()
}

// holding is nil while the stock is the order's: held, or already sold
// (the order was reset after its confirmation).
func (h *heldStock) holding() error {
	if h.err == nil && h.state.Status == ReservationCommitted {
		return nil
	}
	return h.failure(ReservationHeld)
}

// stillHeld fails when the reservation ended by itself (its TTL ran out)
// while the saga was busy: checked before taking the customer's money.
func (h *heldStock) stillHeld(ctx workflow.Context) error {
	if h.child.IsReady() {
		h.wait(ctx)
	}
	return h.holding()
}

// confirm sells the stock and waits for the reservation to end; it fails
// when the reservation expired first.
func (h *heldStock) confirm(ctx workflow.Context) error {
	h.signal(ctx, SignalConfirmReservation, nil)
	return h.failure(ReservationCommitted)
}

// release gives the stock back and waits for the reservation to end. A
// reservation that expired meanwhile has given it back already.
func (h *heldStock) release(ctx workflow.Context, reason string) error {
	h.signal(ctx, SignalReleaseReservation, ReleaseSignal{Reason: reason})
	if h.state.Status == ReservationExpired {
		return nil
	}
	return h.failure(ReservationReleased)
}

// signal sends a decision to a reservation still running and waits for its
// result. The send is not awaited on its own: if the child ended meanwhile,
// the send fails and the result says how it ended.
func (h *heldStock) signal(ctx workflow.Context, name string, payload any) {
	switch {
	case h.ended:
	case h.signalsLocally:
		// To the run this order started: the child has started, as it
		// signalled that it holds the stock.
		var run workflow.Execution
		if err := h.child.GetChildWorkflowExecution().Get(ctx, &run); err == nil {
			signalLocally(ctx, run.ID, run.RunID, name, payload)
		}
	default:
		h.child.SignalChildWorkflow(ctx, name, payload)
	}
	h.wait(ctx)
}

func (h *heldStock) wait(ctx workflow.Context) {
	if !h.ended {
		h.err = h.child.Get(ctx, &h.state)
		h.ended = true
	}
}

// failure is nil when the reservation is in status want, else the error
// that fails the saga's step, with a reason a customer can read.
func (h *heldStock) failure(want string) error {
	switch {
	case h.err != nil:
		return h.err
	case h.state.Status == want:
		return nil
	case h.state.Status == ReservationRejected: // the reason says what was short
		return temporal.NewNonRetryableApplicationError(h.state.Reason, activities.ErrOutOfStock, nil)
	case h.state.Status == ReservationExpired:
		return temporal.NewNonRetryableApplicationError("the stock reservation expired before the payment completed", activities.ErrReservationReleased, nil)
	default:
		return temporal.NewNonRetryableApplicationError("the stock reservation was "+h.state.Status, activities.ErrReservationReleased, nil)
	}
}
