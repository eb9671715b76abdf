package workflows

import (
	"errors"
	"slices"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// OrderWorkflow is the order saga: assess the risk, reserve stock (a ReservationWorkflow
// child on the inventory queue holds it), authorize and capture the payment,
// confirm the reservation. When a step fails for good, the steps already
// done are compensated in reverse order (void the payment, release the
// stock; refund the payment when the reservation expired after the capture)
// and the order ends failed with the reason. Either way the customer is told
// by a NotificationWorkflow that outlives the order. A completed order then
// starts its shipments (order_shipments.go), which take it on to shipped and
// delivered.
func OrderWorkflow(ctx workflow.Context, in orders.Input) (orders.State, error) {
	s := &orderSaga{in: in, state: orders.State{OrderID: in.OrderID, Status: orders.StatusProcessing, Steps: []orders.Step{}}}
	s.trackSearchStatus(ctx)
	s.trackLocalCalls(ctx)
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (orders.State, error) { return s.state, nil }); err != nil {
		return s.state, err
	}
	// The saga runs on its own context, which the cancel update cancels.
	sagaCtx, cancelSaga := workflow.WithCancel(ctx)
	if err := s.setUpControl(ctx, cancelSaga); err != nil {
		return s.state, err
	}
	s.record(ctx, "order.processing")

	err := s.run(sagaCtx)
	// From here on the saga finishes its work even when it was cancelled
	// (cancel update, Web UI, CLI): compensate, tell the customer, record.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	final := orders.StatusCompleted
	var unfinished []compensation
	if err != nil {
		unfinished = s.compensate(dctx, s.compensations)
		final, s.state.FailureReason = s.failure(sagaCtx, err)
	}
	// A compensation that failed for good leaves the order to an operator
	// before the customer is told what it cost them.
	s.attend(dctx, unfinished)
	s.notifyCustomer(dctx, final)
	// The outcome is written once, with the notification step and the event,
	// so the read model never shows a final status while steps still run.
	s.state.Status = final
	s.state.Attention = ""
	s.record(dctx, final.Event())
	countOrder(dctx, final, failureClass(final, err))
	if final == orders.StatusCompleted {
		s.ship(dctx, s.stock.state.Allocations)
	}
	s.done = true
	// A cancel update waiting for the outcome answers before the run closes.
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	if ctx.Err() != nil && final == orders.StatusCancelled {
		// The workflow itself was cancelled, and it was: close as cancelled,
		// so Temporal shows what happened. A cancellation that came too late
		// (the payment was captured) closes as completed, like the order.
		return s.state, temporal.NewCanceledError()
	}
	return s.state, nil
}

// failure is the final status and reason of a saga that did not complete.
func (s *orderSaga) failure(sagaCtx workflow.Context, err error) (status orders.Status, reason string) {
	var appErr *temporal.ApplicationError
	switch {
	case sagaCtx.Err() != nil && s.ctl.cancel != nil && s.ctl.cancel.Reason != "":
		return orders.StatusCancelled, cancelledReason(s.ctl.cancel.Reason)
	case sagaCtx.Err() != nil:
		return orders.StatusCancelled, cancelledReason("")
	case errors.As(err, &appErr) && appErr.Type() == ErrNotApproved:
		return orders.StatusCancelled, notApprovedReason
	default:
		return orders.StatusFailed, customerReason(err)
	}
}

type orderSaga struct {
	in    orders.Input
	state orders.State
	stock *heldStock // the order's ReservationWorkflow
	// declined is set when the gateway refused the authorization: there is
	// nothing to void.
	declined bool
	ctl      control
	done     bool // the outcome is recorded
	// compensations undo completed steps; run in reverse order.
	compensations []compensation
	// searchStatus is the OrderStatus search attribute as last set, and
	// statusSearchable whether it follows every status (see
	// trackSearchStatus).
	searchStatus     orders.Status
	statusSearchable bool
	// localCalls: the payment calls, the signals to the reservation and
	// the notification's start are local activities (trackLocalCalls).
	localCalls bool
	// riskAssessed: the order was assessed (riskCheckChange); review: the
	// assessment sends it to an admin after its authorization.
	riskAssessed, review bool
}

// compensation undoes one completed step.
type compensation func(workflow.Context) error

func (s *orderSaga) run(ctx workflow.Context) error {
	if err := s.assessRisk(ctx); err != nil {
		return err
	}
	err := s.step(ctx, StepReserveStock, func() (err error) {
		s.stock, err = reserveStock(ctx, s.reservationInput(), s.localCalls)
		return err
	})
	if err != nil {
		return err
	}
	s.state.ReservationID = s.stock.state.ReservationID
	s.compensations = append(s.compensations, s.releaseReservation)

	// The void is registered before the authorization: when the step fails
	// without a decline (retries exhausted, a lost answer), an authorization
	// may exist all the same, and the void finds it by its idempotency key.
	s.compensations = append(s.compensations, s.voidPayment)
	var auth activities.PaymentResult
	err = s.step(ctx, StepAuthorizePayment, func() (err error) {
		auth, err = s.authorize(ctx)
		return err
	})
	if err != nil {
		if s.declined = isDecline(err); s.declined {
			s.recordDecline(ctx)
		}
		return err
	}
	s.state.AuthorizationID = auth.ID

	if err := s.awaitApproval(ctx); err != nil {
		return err
	}

	var capture activities.PaymentResult
	err = s.step(ctx, StepCapturePayment, func() (err error) {
		// Stock that expired while the payment was authorized is gone: do
		// not take money for it.
		if err := s.stock.stillHeld(ctx); err != nil {
			return err
		}
		capture, err = s.capture(ctx, auth.ID)
		return err
	})
	if err != nil {
		return err
	}
	s.state.CaptureID = capture.ID
	// The money is taken. What can still fail is the reservation: if its TTL
	// ran out during the capture, the stock went back and cannot be sold, so
	// the payment is refunded (the authorization cannot be voided any more).
	s.compensations = []compensation{s.refundPayment}

	// A cancellation from here on comes too late: the order completes, on a
	// context the cancellation does not reach.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return s.step(dctx, StepConfirmReservation, func() error { return s.stock.confirm(dctx) })
}

func (s *orderSaga) authorizeRequest() activities.AuthorizePaymentRequest {
	return activities.AuthorizePaymentRequest{
		IdempotencyKey: s.key("authorize"), OrderID: s.in.OrderID,
		Amount: s.in.Total, Currency: s.in.Currency, Token: s.in.PaymentToken,
	}
}

// step runs one saga step and keeps its status and times in the state.
func (s *orderSaga) step(ctx workflow.Context, name string, fn func() error) error {
	i := len(s.state.Steps)
	s.state.Steps = append(s.state.Steps, orders.Step{Name: name, Status: StepRunning, StartedAt: workflow.Now(ctx)})
	s.record(ctx, "")
	err := fn()
	done := workflow.Now(ctx)
	recordStep(ctx, name, done.Sub(s.state.Steps[i].StartedAt), err)
	s.state.Steps[i].CompletedAt = &done
	s.state.Steps[i].Status = StepCompleted
	if err != nil {
		s.state.Steps[i].Status, s.state.Steps[i].Error = StepFailed, failureReason(err)
	}
	return err
}

// compensate runs the compensations in reverse order and returns those that
// failed for good (their retry budget, compensationCtx, ran out), in the
// order they ran. The caller passes a disconnected context so they still run
// when the workflow is cancelled; each is idempotent, so one can run again.
func (s *orderSaga) compensate(ctx workflow.Context, list []compensation) []compensation {
	var failed []compensation
	for i := len(list) - 1; i >= 0; i-- {
		if err := list[i](ctx); err != nil {
			workflow.GetLogger(ctx).Error("compensation failed", "order_id", s.in.OrderID, "error", err)
			failed = append([]compensation{list[i]}, failed...)
		}
	}
	s.compensations = nil
	return failed
}

func (s *orderSaga) releaseReservation(ctx workflow.Context) error {
	return s.step(ctx, StepReleaseReservation, func() error {
		err := s.stock.release(ctx, "order did not complete")
		if s.stock.err == nil {
			return err
		}
		// The reservation's workflow ended without settling (terminated or
		// failed): its TTL went with it, so the stock is released directly,
		// as a repair does.
		return releaseStock(ctx, s.in.OrderID, "order did not complete")
	})
}

// voidPayment releases the authorization. A declined authorization holds
// nothing; one whose outcome is unknown is looked up at the gateway by the
// order's ID (a cheap read that finds nothing when every attempt failed);
// one that was captured after all (a capture whose answer was lost) is
// refunded by the activity.
func (s *orderSaga) voidPayment(ctx workflow.Context) error {
	if s.declined {
		return nil
	}
	return s.step(ctx, StepVoidPayment, func() error {
		req := activities.VoidPaymentRequest{
			IdempotencyKey: s.key("void"), OrderID: s.in.OrderID, AuthorizationID: s.state.AuthorizationID,
			CaptureKey: s.key("capture"), RefundKey: s.key("refund"), Amount: s.in.Total,
		}
		return workflow.ExecuteActivity(compensationCtx(ctx), paymentActivities.VoidPayment, req).Get(ctx, nil)
	})
}

func (s *orderSaga) refundPayment(ctx workflow.Context) error {
	return s.step(ctx, StepRefundPayment, func() error {
		req := activities.RefundPaymentRequest{IdempotencyKey: s.key("refund"), CaptureID: s.state.CaptureID, Amount: s.in.Total}
		return workflow.ExecuteActivity(compensationCtx(ctx), paymentActivities.RefundPayment, req).Get(ctx, nil)
	})
}

// record stores the state in the read model (and publishes event, if any)
// with a local activity: bookkeeping needs no separate worker, and a local
// activity costs far fewer history events than a regular one.
func (s *orderSaga) record(ctx workflow.Context, event string) {
	s.state.Version++
	s.state.UpdatedAt = workflow.Now(ctx)
	// A local activity gets its input in memory, not serialized, and may
	// still be running when a cancellation ends the wait below: it gets its
	// own copy of the steps the saga goes on changing.
	st := s.state
	st.Steps = slices.Clone(st.Steps)
	req := activities.RecordOrderStateRequest{Input: s.in, State: st, Event: event}
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), orderActivities.RecordOrderState, req).Get(ctx, nil); err != nil {
		// A write the database refuses for good (non-retryable), or a week
		// of failed writes (recordCtx): the saga goes on, and a later write
		// of a newer state can still land.
		workflow.GetLogger(ctx).Error("recording order state failed", "order_id", s.in.OrderID, "error", err)
	}
	s.upsertSearchStatus(ctx, event)
}

// trackSearchStatus decides how the OrderStatus search attribute is kept.
// Orders started before version 1 set it on their final events (and when
// awaiting approval) only, so it lagged behind an approved order; from
// version 1 on it follows every status the read model shows. The version
// marker keeps running executions replaying as they were recorded.
func (s *orderSaga) trackSearchStatus(ctx workflow.Context) {
	s.statusSearchable = workflow.GetVersion(ctx, "order-status-search-attribute", workflow.DefaultVersion, 1) >= 1
	// Set at start by the API; unset for an order started from the CLI.
	status, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(orderStatusKey)
	s.searchStatus = orders.Status(status)
}

func (s *orderSaga) upsertSearchStatus(ctx workflow.Context, event string) {
	st := s.state.Status
	change := st != s.searchStatus
	if !s.statusSearchable {
		change = event == st.Event() && st != orders.StatusProcessing
	}
	if change {
		_ = workflow.UpsertTypedSearchAttributes(ctx, orderStatusKey.ValueSet(string(st)))
		s.searchStatus = st
	}
}

// notifyCustomer tells the customer the order's outcome by a
// NotificationWorkflow that outlives this order (started by a local
// activity, or as an abandoned child in orders recorded before
// localCallsChange), and waits only until it has started.
func (s *orderSaga) notifyCustomer(ctx workflow.Context, outcome orders.Status) {
	if s.in.Contact.Email == "" && s.in.Contact.Phone == "" {
		return
	}
	_ = s.step(ctx, StepNotifyCustomer, func() error {
		st := s.state
		st.Status = outcome
		msg := orderMessage(s.in, st)
		if s.localCalls {
			// Once per notification ID, ever: a reset order asks again,
			// and the customer was told already.
			return startLocally(ctx, notifications.WorkflowID(msg.NotificationID), NotificationsTaskQueue, NotificationWorkflow, msg)
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        notifications.WorkflowID(msg.NotificationID),
			TaskQueue:         NotificationsTaskQueue,
			ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
			// A reset order asks again: the customer was told already.
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		})
		err := workflow.ExecuteChildWorkflow(cctx, NotificationWorkflow, msg).GetChildWorkflowExecution().Get(ctx, nil)
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if errors.As(err, &started) {
			return nil // a reset or replayed order asked again: it was sent already.
		}
		return err
	})
}

// key is the idempotency key of one side effect of this order.
func (s *orderSaga) key(op string) string { return s.in.OrderID + ":" + op }

// failureReason is what went wrong in a step, for operators: the innermost
// cause, without Temporal's wrapping.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "timed out (" + timeoutErr.TimeoutType().String() + ")"
	}
	return err.Error()
}

// isDecline reports whether the gateway refused the card: then nothing was
// authorized under the order's key. Any other failure, even the gateway's own
// error answer on the last attempt, may follow an earlier attempt that
// authorized but whose answer was lost, so the void looks it up.
func isDecline(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrPaymentDeclined
}
