package workflows

import (
	"errors"
	"fmt"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// OrderWorkflow is the order saga: reserve stock, authorize and capture the
// payment, confirm the reservation. When a step fails for good, the steps
// already done are compensated in reverse order (void the payment, release
// the stock) and the order ends failed with the reason. Either way the
// customer is told by a NotificationWorkflow that outlives the order.
func OrderWorkflow(ctx workflow.Context, in OrderInput) (OrderState, error) {
	s := &orderSaga{in: in, state: OrderState{OrderID: in.OrderID, Status: OrderProcessing, Steps: []Step{}}}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (OrderState, error) { return s.state, nil }); err != nil {
		return s.state, err
	}
	s.record(ctx, "order.processing")

	err := s.run(ctx)
	cancelled := temporal.IsCanceledError(err)
	if err != nil {
		// From here on the saga finishes its work even when the workflow was
		// cancelled (Web UI, CLI): compensate, tell the customer, record.
		ctx, _ = workflow.NewDisconnectedContext(ctx)
		s.compensate(ctx)
		s.state.Status, s.state.FailureReason = OrderFailed, failureReason(err)
		if cancelled {
			s.state.Status, s.state.FailureReason = OrderCancelled, "cancelled on request"
		}
	} else {
		s.state.Status = OrderCompleted
	}
	s.notifyCustomer(ctx)
	// One final write carries the outcome, the notification step and the event.
	s.record(ctx, "order."+s.state.Status)
	if cancelled {
		// Close as cancelled, so Temporal shows what happened.
		return s.state, temporal.NewCanceledError()
	}
	return s.state, nil
}

type orderSaga struct {
	in    OrderInput
	state OrderState
	// compensations undo completed steps; run in reverse order.
	compensations []func(workflow.Context) error
}

func (s *orderSaga) run(ctx workflow.Context) error {
	var res Reservation
	err := s.step(ctx, StepReserveStock, func() error {
		lines := make([]StockLine, len(s.in.Items))
		for i, it := range s.in.Items {
			lines[i] = StockLine{SKU: it.SKU, Quantity: it.Quantity}
		}
		req := ReserveStockRequest{ReservationID: ReservationID(s.in.OrderID), OrderID: s.in.OrderID, Lines: lines}
		return workflow.ExecuteActivity(inventoryCtx(ctx), ActivityReserveStock, req).Get(ctx, &res)
	})
	if err != nil {
		return err
	}
	s.state.ReservationID = res.ID
	s.compensations = append(s.compensations, s.releaseReservation)

	var auth PaymentResult
	err = s.step(ctx, StepAuthorizePayment, func() error {
		req := AuthorizePaymentRequest{
			IdempotencyKey: s.key("authorize"), OrderID: s.in.OrderID,
			Amount: s.in.Total, Currency: s.in.Currency, Token: s.in.PaymentToken,
		}
		return workflow.ExecuteActivity(paymentCtx(ctx), ActivityAuthorizePayment, req).Get(ctx, &auth)
	})
	if err != nil {
		return err
	}
	s.state.AuthorizationID = auth.ID
	s.compensations = append(s.compensations, s.voidPayment)

	var capture PaymentResult
	err = s.step(ctx, StepCapturePayment, func() error {
		req := CapturePaymentRequest{IdempotencyKey: s.key("capture"), AuthorizationID: auth.ID, Amount: s.in.Total}
		return workflow.ExecuteActivity(captureCtx(ctx), ActivityCapturePayment, req).Get(ctx, &capture)
	})
	if err != nil {
		return err
	}
	s.state.CaptureID = capture.ID
	// The money is taken: from here on the order must complete, so confirming
	// the reservation retries until it succeeds and nothing is compensated.
	s.compensations = nil

	return s.step(ctx, StepConfirmReservation, func() error {
		return workflow.ExecuteActivity(untilDoneCtx(inventoryCtx(ctx)), ActivityCommitReservation, res.ID).Get(ctx, nil)
	})
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
	return s.step(ctx, StepReleaseReservation, func() error {
		return workflow.ExecuteActivity(untilDoneCtx(inventoryCtx(ctx)), ActivityReleaseReservation, s.state.ReservationID).Get(ctx, nil)
	})
}

func (s *orderSaga) voidPayment(ctx workflow.Context) error {
	return s.step(ctx, StepVoidPayment, func() error {
		req := VoidPaymentRequest{IdempotencyKey: s.key("void"), AuthorizationID: s.state.AuthorizationID}
		return workflow.ExecuteActivity(untilDoneCtx(paymentCtx(ctx)), ActivityVoidPayment, req).Get(ctx, nil)
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
		// Only reachable when the workflow is cancelled: the retry policy is unlimited.
		workflow.GetLogger(ctx).Error("recording order state failed", "order_id", s.in.OrderID, "error", err)
	}
	if event == "order."+s.state.Status && s.state.Status != OrderProcessing {
		_ = workflow.UpsertTypedSearchAttributes(ctx, orderStatusKey.ValueSet(s.state.Status))
	}
}

// notifyCustomer starts a NotificationWorkflow that outlives this order and
// waits only until it has started.
func (s *orderSaga) notifyCustomer(ctx workflow.Context) {
	if s.in.Contact.Email == "" && s.in.Contact.Phone == "" {
		return
	}
	_ = s.step(ctx, StepNotifyCustomer, func() error {
		msg := orderMessage(s.in, s.state)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        NotificationWorkflowID(msg.NotificationID),
			TaskQueue:         NotificationsTaskQueue,
			ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
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
func orderMessage(in OrderInput, st OrderState) NotificationInput {
	msg := NotificationInput{
		NotificationID: fmt.Sprintf("%s-%s", in.OrderID, st.Status),
		OrderID:        in.OrderID,
		Kind:           "order." + st.Status,
		Channels:       []string{ChannelEmail, ChannelSMS},
		Email:          in.Contact.Email,
		Phone:          in.Contact.Phone,
	}
	if st.Status == OrderCompleted {
		msg.Subject = fmt.Sprintf("Order %s confirmed", in.OrderID)
		msg.Body = fmt.Sprintf("Thank you! Your order %s of %s is confirmed.", in.OrderID, formatMoney(in.Total, in.Currency))
	} else {
		msg.Subject = fmt.Sprintf("Order %s could not be completed", in.OrderID)
		msg.Body = fmt.Sprintf("Sorry, your order %s could not be completed: %s. You have not been charged.", in.OrderID, st.FailureReason)
	}
	return msg
}

func formatMoney(minor int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
}

// key is the idempotency key of one side effect of this order.
func (s *orderSaga) key(op string) string { return s.in.OrderID + ":" + op }

// failureReason turns an activity error into a reason a customer can read:
// the application error's message, without Temporal's wrapping.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "timed out"
	}
	return err.Error()
}
