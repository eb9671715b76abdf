package workflows

import (
	"errors"

	"github.com/orderflow/orderflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ReservationWorkflow holds stock for one order (workflow ID
// ReservationID(orderID), task queue "inventory"). It reserves every line or
// none, then holds the stock until the first of:
//
//   - a confirm signal: the stock is sold (committed);
//   - a release signal: the stock goes back;
//   - its TTL running out: it releases the stock by itself, and a confirm
//     that arrives later finds it expired.
//
// Started as a child of an order, it signals the parent once the stock is
// held; a rejected reservation (out of stock) just completes, and the parent
// reads the result. The status query shows its state at any time.
func ReservationWorkflow(ctx workflow.Context, in ReservationInput) (ReservationState, error) {
	r := &reservation{in: in, state: ReservationState{
		ReservationID: ReservationID(in.OrderID), OrderID: in.OrderID, Status: ReservationPending,
	}}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ReservationState, error) { return r.state, nil }); err != nil {
		return r.state, err
	}
	ttl := in.TTL
	if ttl <= 0 {
		ttl = DefaultReservationTTL
	}
	r.state.ExpiresAt = workflow.Now(ctx).Add(ttl)

	if err := r.reserve(ctx); err != nil || r.state.Status != ReservationHeld {
		if err == nil {
			countReservation(ctx, r.state.Status) // rejected, or sold before a reset
		}
		return r.state, err
	}
	r.tellParent(ctx)
	end := r.awaitEnd(ctx)
	// Settle even when the workflow is being cancelled: held stock must not leak.
	detached, _ := workflow.NewDisconnectedContext(ctx)
	if err := r.settle(detached, end); err != nil {
		return r.state, err
	}
	r.dropLateSignals(ctx)
	if end.cancelled {
		return r.state, temporal.NewCanceledError()
	}
	return r.state, nil
}

type reservation struct {
	in    ReservationInput
	state ReservationState
}

func (r *reservation) logAttrs(kv ...any) []any {
	return append([]any{"reservation_id", r.state.ReservationID, "order_id", r.state.OrderID}, kv...)
}

// reserve holds every line or none. Out of stock rejects the reservation;
// any other failure means the outcome is unknown (the database was out for
// the whole retry budget, or the workflow was cancelled meanwhile), so
// whatever may have been reserved is released before failing.
func (r *reservation) reserve(ctx workflow.Context) error {
	req := activities.ReserveStockRequest{ReservationID: r.state.ReservationID, OrderID: r.in.OrderID, Lines: r.in.Lines, ExpiresAt: r.state.ExpiresAt}
	var res activities.Reservation
	err := workflow.ExecuteLocalActivity(stockCtx(ctx), inventoryActivities.ReserveStock, req).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && (appErr.Type() == activities.ErrOutOfStock || appErr.Type() == activities.ErrUnknownSKU):
		r.state.Status, r.state.Reason = ReservationRejected, appErr.Message()
		return nil
	case err != nil:
		workflow.GetLogger(ctx).Error("reserving stock failed; releasing whatever was held", r.logAttrs("error", err)...)
		releaseCtx, _ := workflow.NewDisconnectedContext(ctx)
		if relErr := r.settle(releaseCtx, ending{status: ReservationReleased, reason: "reserving failed"}); relErr != nil {
			return relErr
		}
		return err
	case res.Status == ReservationCommitted:
		// The order was reset after its stock was sold: the sale stands, and
		// the saga, replaying its payment steps by their idempotency keys,
		// completes again without selling twice.
		r.state.Status, r.state.Allocations, r.state.Reason = ReservationCommitted, res.Allocations, "sold before a reset"
		return nil
	case res.Status != ReservationHeld:
		// Released before: a reset of an order that failed. Its stock went
		// back; the order cannot be retried under the same ID.
		r.state.Status, r.state.Reason = ReservationRejected, "the reservation was already "+res.Status
		return nil
	}
	r.state.Status, r.state.Allocations = ReservationHeld, res.Allocations
	return nil
}

// tellParent signals the parent order that the stock is held: with a local
// activity when the parent asked for it (ReservationInput.SignalsLocally),
// else with a command whose delivery it does not wait for. Either way a
// parent that is gone leaves the stock to the TTL.
func (r *reservation) tellParent(ctx workflow.Context) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	if r.in.SignalsLocally {
		signalLocally(ctx, parent.ID, parent.RunID, SignalReservationHeld, r.state)
		return
	}
	workflow.SignalExternalWorkflow(ctx, parent.ID, parent.RunID, SignalReservationHeld, r.state)
}

// ending is how a held reservation ends.
type ending struct {
	status    string // ReservationCommitted, ReservationReleased or ReservationExpired
	reason    string
	cancelled bool
}

// awaitEnd waits for the first of confirm, release, expiry and cancellation.
func (r *reservation) awaitEnd(ctx workflow.Context) ending {
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	expiry := workflow.NewTimerWithOptions(timerCtx, r.state.ExpiresAt.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: "reservation TTL"})

	var end ending
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalConfirmReservation), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		end = ending{status: ReservationCommitted, reason: "sold"}
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalReleaseReservation), func(c workflow.ReceiveChannel, _ bool) {
		var sig ReleaseSignal
		c.Receive(ctx, &sig)
		end = ending{status: ReservationReleased, reason: sig.Reason}
	})
	sel.AddFuture(expiry, func(f workflow.Future) {
		end = ending{status: ReservationExpired, reason: "reservation expired"}
		if f.Get(ctx, nil) != nil { // cancelling the workflow cancels its timer
			end = ending{status: ReservationReleased, reason: "reservation cancelled", cancelled: true}
		}
	})
	sel.Select(ctx)
	workflow.GetLogger(ctx).Info("reservation decided", r.logAttrs("status", end.status, "reason", end.reason)...)
	return end
}

// settle commits or releases the held stock, retrying until it is done.
func (r *reservation) settle(ctx workflow.Context, end ending) error {
	var err error
	if end.status == ReservationCommitted {
		err = workflow.ExecuteLocalActivity(settleCtx(ctx), inventoryActivities.CommitReservation, r.state.ReservationID).Get(ctx, nil)
	} else {
		req := activities.ReleaseReservationRequest{ReservationID: r.state.ReservationID, OrderID: r.state.OrderID, Reason: end.reason, Expired: end.status == ReservationExpired}
		err = workflow.ExecuteLocalActivity(settleCtx(ctx), inventoryActivities.ReleaseReservation, req).Get(ctx, nil)
	}
	if err != nil {
		return err
	}
	r.state.Status, r.state.Reason = end.status, end.reason
	countReservation(ctx, end.status)
	return nil
}

// dropLateSignals consumes the signals that came after the decision: a
// re-delivered confirm, or a release that lost the race to a confirm,
// changes nothing.
func (r *reservation) dropLateSignals(ctx workflow.Context) {
	for _, name := range []string{SignalConfirmReservation, SignalReleaseReservation} {
		for ch := workflow.GetSignalChannel(ctx, name); ch.ReceiveAsync(nil); {
			workflow.GetLogger(ctx).Info("signal after the reservation ended: ignored", r.logAttrs("signal", name, "status", r.state.Status)...)
		}
	}
}
