package workflows

import (
	"errors"
	"fmt"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// OrderWorkflow is the order saga: reserve stock (a ReservationWorkflow
// child on the inventory queue holds it), authorize and capture the payment,
// confirm the reservation. When a step fails for good, the steps already
// done are compensated in reverse order (void the payment, release the
// stock; refund the payment when the reservation expired after the capture)
// and the order ends failed with the reason. Either way the customer is told
// by a NotificationWorkflow that outlives the order.
func OrderWorkflow(ctx workflow.Context, in OrderInput) (OrderState, error) {
	s := &orderSaga{in: in, state: OrderState{OrderID: in.OrderID, Status: OrderProcessing, Steps: []Step{}}}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (OrderState, error) { return s.state, nil }); err != nil {
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
	final := OrderCompleted
	if err != nil {
		s.compensate(dctx)
		final, s.state.FailureReason = s.failure(sagaCtx, err)
	}
	s.notifyCustomer(dctx, final)
	// The outcome is written once, with the notification step and the event,
	// so the read model never shows a final status while steps still run.
	s.state.Status = final
	s.record(dctx, "order."+final)
	s.done = true
	// A cancel update waiting for the outcome answers before the run closes.
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	if ctx.Err() != nil {
		// The workflow itself was cancelled: close as cancelled, so
		// Temporal shows what happened.
		return s.state, temporal.NewCanceledError()
	}
	return s.state, nil
}

// failure is the final status and reason of a saga that did not complete.
func (s *orderSaga) failure(sagaCtx workflow.Context, err error) (status, reason string) {
	var appErr *temporal.ApplicationError
	switch {
	case sagaCtx.Err() != nil && s.ctl.cancel != nil && s.ctl.cancel.Reason != "":
		return OrderCancelled, "cancelled: " + s.ctl.cancel.Reason
	case sagaCtx.Err() != nil:
		return OrderCancelled, "cancelled on request"
	case errors.As(err, &appErr) && appErr.Type() == ErrNotApproved:
		return OrderCancelled, appErr.Message()
	default:
		return OrderFailed, customerReason(err)
	}
}

type orderSaga struct {
	in    OrderInput
	state OrderState
	stock *heldStock // the order's ReservationWorkflow
	// declined is set when the gateway refused the authorization: there is
	// nothing to void.
	declined bool
	ctl      control
	done     bool // the outcome is recorded
	// compensations undo completed steps; run in reverse order.
	compensations []func(workflow.Context) error
}

func (s *orderSaga) run(ctx workflow.Context) error {
	err := s.step(ctx, StepReserveStock, func() (err error) {
		s.stock, err = reserveStock(ctx, s.in)
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
	var auth PaymentResult
	err = s.step(ctx, StepAuthorizePayment, func() error {
		return workflow.ExecuteActivity(paymentCtx(ctx), ActivityAuthorizePayment, s.authorizeRequest()).Get(ctx, &auth)
	})
	if err != nil {
		s.declined = isDecline(err)
		return err
	}
	s.state.AuthorizationID = auth.ID

	if err := s.awaitApproval(ctx); err != nil {
		return err
	}

	var capture PaymentResult
	err = s.step(ctx, StepCapturePayment, func() error {
		// Stock that expired while the payment was authorized is gone: do
		// not take money for it.
		if err := s.stock.stillHeld(ctx); err != nil {
			return err
		}
		req := CapturePaymentRequest{IdempotencyKey: s.key("capture"), AuthorizationID: auth.ID, Amount: s.in.Total}
		return workflow.ExecuteActivity(captureCtx(ctx), ActivityCapturePayment, req).Get(ctx, &capture)
	})
	if err != nil {
		return err
	}
	s.state.CaptureID = capture.ID
	// The money is taken. What can still fail is the reservation: if its TTL
	// ran out during the capture, the stock went back and cannot be sold, so
	// the payment is refunded (the authorization cannot be voided any more).
	s.compensations = []func(workflow.Context) error{s.refundPayment}

	// A cancellation from here on comes too late: the order completes, on a
	// context the cancellation does not reach.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return s.step(dctx, StepConfirmReservation, func() error { return s.stock.confirm(dctx) })
}

func (s *orderSaga) authorizeRequest() AuthorizePaymentRequest {
	return AuthorizePaymentRequest{
		IdempotencyKey: s.key("authorize"), OrderID: s.in.OrderID,
		Amount: s.in.Total, Currency: s.in.Currency, Token: s.in.PaymentToken,
	}
}

// step runs one saga step and keeps its status and times in the state.
func (s *orderSaga) step(ctx workflow.Context, name string, fn func() error) error {
	i := len(s.state.Steps)
	s.state.Steps = append(s.state.Steps, Step{Name: name, Status: StepRunning, StartedAt: workflow.Now(ctx)})
	s.record(ctx, "")
	err := fn()
	done := workflow.Now(ctx)
	s.state.Steps[i].CompletedAt = &done
	s.state.Steps[i].Status = StepCompleted
	if err != nil {
		s.state.Steps[i].Status, s.state.Steps[i].Error = StepFailed, failureReason(err)
	}
	return err
}

// compensate undoes the completed steps in reverse order. The caller passes a
// disconnected context so it still runs when the workflow is cancelled; each
// compensation retries until it succeeds: they are idempotent.
func (s *orderSaga) compensate(ctx workflow.Context) {
	for i := len(s.compensations) - 1; i >= 0; i-- {
		if err := s.compensations[i](ctx); err != nil {
			workflow.GetLogger(ctx).Error("compensation failed", "order_id", s.in.OrderID, "error", err)
		}
	}
	s.compensations = nil
}

func (s *orderSaga) releaseReservation(ctx workflow.Context) error {
	return s.step(ctx, StepReleaseReservation, func() error { return s.stock.release(ctx, "order did not complete") })
}

// voidPayment releases the authorization. A declined authorization holds
// nothing; one whose outcome is unknown is found by replaying its request;
// one that was captured after all (a capture whose answer was lost) is
// refunded by the activity.
func (s *orderSaga) voidPayment(ctx workflow.Context) error {
	if s.declined {
		return nil
	}
	return s.step(ctx, StepVoidPayment, func() error {
		req := VoidPaymentRequest{
			IdempotencyKey: s.key("void"), AuthorizationID: s.state.AuthorizationID,
			CaptureKey: s.key("capture"), RefundKey: s.key("refund"), Amount: s.in.Total,
		}
		if req.AuthorizationID == "" {
			authorize := s.authorizeRequest()
			req.Authorize = &authorize
		}
		return workflow.ExecuteActivity(untilDoneCtx(paymentCtx(ctx)), ActivityVoidPayment, req).Get(ctx, nil)
	})
}

func (s *orderSaga) refundPayment(ctx workflow.Context) error {
	return s.step(ctx, StepRefundPayment, func() error {
		req := RefundPaymentRequest{IdempotencyKey: s.key("refund"), CaptureID: s.state.CaptureID, Amount: s.in.Total}
		return workflow.ExecuteActivity(untilDoneCtx(paymentCtx(ctx)), ActivityRefundPayment, req).Get(ctx, nil)
	})
}

// record stores the state in the read model (and publishes event, if any)
// with a local activity: bookkeeping needs no separate worker, and a local
// activity costs far fewer history events than a regular one.
func (s *orderSaga) record(ctx workflow.Context, event string) {
	s.state.Version++
	s.state.UpdatedAt = workflow.Now(ctx)
	req := RecordOrderStateRequest{Input: s.in, State: s.state, Event: event}
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), ActivityRecordOrderState, req).Get(ctx, nil); err != nil {
		// Reached only after a week of failed writes (recordCtx): the workflow goes on.
		workflow.GetLogger(ctx).Error("recording order state failed", "order_id", s.in.OrderID, "error", err)
	}
	if event == "order."+s.state.Status && s.state.Status != OrderProcessing {
		_ = workflow.UpsertTypedSearchAttributes(ctx, orderStatusKey.ValueSet(s.state.Status))
	}
}

// notifyCustomer tells the customer the order's outcome by a
// NotificationWorkflow that outlives this order, and waits only until it has
// started.
func (s *orderSaga) notifyCustomer(ctx workflow.Context, outcome string) {
	if s.in.Contact.Email == "" && s.in.Contact.Phone == "" {
		return
	}
	_ = s.step(ctx, StepNotifyCustomer, func() error {
		st := s.state
		st.Status = outcome
		msg := orderMessage(s.in, st)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        NotificationWorkflowID(msg.NotificationID),
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

// orderMessage is what the customer is told about the order's outcome.
//
// No outcome is urgent: a confirmation, or a failure that charged nothing,
// can wait for the morning, so quiet hours hold its SMS. The customer's
// channel order and quiet hours come with the order's contact; orders placed
// without them (and before them) go by email, then SMS, at any hour.
func orderMessage(in OrderInput, st OrderState) NotificationInput {
	channels := in.Contact.Channels
	if len(channels) == 0 {
		channels = []string{ChannelEmail, ChannelSMS}
	}
	msg := NotificationInput{
		NotificationID: fmt.Sprintf("%s-%s", in.OrderID, st.Status),
		OrderID:        in.OrderID,
		Kind:           "order." + st.Status,
		Channels:       channels,
		Email:          in.Contact.Email,
		Phone:          in.Contact.Phone,
		TimeZone:       in.Contact.TimeZone,
		QuietHours:     in.Contact.QuietHours,
	}
	if st.Status == OrderCompleted {
		msg.Subject = fmt.Sprintf("Order %s confirmed", in.OrderID)
		msg.Body = fmt.Sprintf("Thank you! Your order %s of %s is confirmed.", in.OrderID, formatMoney(in.Total, in.Currency))
	} else {
		msg.Subject = fmt.Sprintf("Order %s could not be completed", in.OrderID)
		charge := "You have not been charged."
		if st.CaptureID != "" {
			charge = "Your payment has been refunded."
		}
		msg.Body = fmt.Sprintf("Sorry, your order %s could not be completed: %s. %s", in.OrderID, st.FailureReason, charge)
	}
	return msg
}

func formatMoney(minor int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
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

// customerReason is why the order failed, for the customer: the business
// reason (out of stock, a declined card) when there is one, otherwise a plain
// sentence; the technical cause stays in the step's error.
func customerReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case ErrOutOfStock, ErrUnknownSKU, ErrPaymentDeclined, ErrReservationReleased:
			return appErr.Message()
		}
	}
	return "a service the order needs was unavailable"
}

func isDecline(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrPaymentDeclined
}
