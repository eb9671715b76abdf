package workflows

import (
	"errors"
	"fmt"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// control is what people can do to a running order: cancel it (before the
// capture), and approve or reject it while it awaits approval. Cancelling
// cancels the saga's own context, so the step in flight ends (a payment call
// is awaited first) and the compensations run, exactly as for a cancellation
// of the whole workflow from the Web UI or the CLI.
type control struct {
	cancelSaga workflow.CancelFunc
	cancel     *Decision // set once a cancel was accepted
	approval   *Decision // set once approved
	rejection  *Decision // set once rejected
}

// setUpControl registers the order's update and signal handlers.
func (s *orderSaga) setUpControl(ctx workflow.Context, cancelSaga workflow.CancelFunc) error {
	s.ctl.cancelSaga = cancelSaga
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel,
		func(ctx workflow.Context, d Decision) (orders.State, error) {
			s.ctl.cancel = &d
			s.ctl.cancelSaga()
			if err := workflow.Await(ctx, func() bool { return s.done }); err != nil {
				return s.state, err
			}
			if s.state.Status != orders.StatusCancelled {
				return s.state, temporal.NewApplicationError(
					"the order was "+string(s.state.Status)+" before the cancellation took effect", ErrTooLate)
			}
			return s.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(workflow.Context, Decision) error { return s.validateCancel() }})
	if err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		dst  **Decision
	}{{UpdateApprove, &s.ctl.approval}, {UpdateReject, &s.ctl.rejection}} {
		err := workflow.SetUpdateHandlerWithOptions(ctx, d.name,
			func(ctx workflow.Context, dec Decision) (orders.State, error) {
				*d.dst = &dec
				return s.state, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, _ Decision) error {
				if s.state.Status != orders.StatusAwaitingApproval || s.decided() {
					return fmt.Errorf("the order is not awaiting approval (it is %s)", s.outcomeSoFar())
				}
				return nil
			}})
		if err != nil {
			return err
		}
	}
	return nil
}

// validateCancel refuses a cancel that can no longer be honoured, with the
// reason; a refused update leaves no trace in the history.
func (s *orderSaga) validateCancel() error {
	switch {
	case s.done || s.ctl.cancel != nil:
		return fmt.Errorf("the order is already %s", s.outcomeSoFar())
	case s.state.CaptureID != "":
		return errors.New("the payment was captured: the order can no longer be cancelled")
	case s.state.Status == orders.StatusNeedsAttention:
		return errors.New("the order did not complete and awaits an operator")
	}
	return nil
}

func (c *control) decided() bool { return c.approval != nil || c.rejection != nil }

func (s *orderSaga) decided() bool { return s.ctl.decided() }

// outcomeSoFar names the order's state for a refusal message.
func (s *orderSaga) outcomeSoFar() string {
	if s.ctl.cancel != nil && !s.done {
		return "being cancelled"
	}
	return string(s.state.Status)
}

// awaitApproval holds an authorized order until someone approves or rejects
// it (update from the API, signal from the CLI), or the timeout passes. A
// rejection or a timeout fails the step, and the saga compensates. Orders
// above the API's threshold wait, and those their risk assessment sends to
// review (approvalTimeout).
func (s *orderSaga) awaitApproval(ctx workflow.Context) error {
	timeout := s.approvalTimeout()
	if timeout <= 0 {
		return nil
	}
	return s.step(ctx, StepAwaitApproval, func() error {
		s.state.Status = orders.StatusAwaitingApproval
		s.record(ctx, "order.awaiting_approval")
		defer func() { s.state.Status = orders.StatusProcessing }()

		// Signals (temporal CLI, tctl) decide like the updates do.
		for _, sig := range []struct {
			name string
			dst  **Decision
		}{{SignalApprove, &s.ctl.approval}, {SignalReject, &s.ctl.rejection}} {
			workflow.Go(ctx, func(ctx workflow.Context) {
				var d Decision
				workflow.GetSignalChannel(ctx, sig.name).Receive(ctx, &d)
				if !s.decided() {
					*sig.dst = &d
				}
			})
		}
		ok, err := workflow.AwaitWithTimeout(ctx, timeout, s.decided)
		switch {
		case err != nil:
			return err // cancelled meanwhile
		case !ok:
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("not approved within %s", timeout), ErrNotApproved, nil)
		case s.ctl.rejection != nil:
			// The step's error, for operators; the customer reads
			// notApprovedReason.
			reason := "rejected"
			if s.ctl.rejection.By != "" {
				reason += " by " + s.ctl.rejection.By
			}
			if s.ctl.rejection.Reason != "" {
				reason += ": " + s.ctl.rejection.Reason
			}
			return temporal.NewNonRetryableApplicationError(reason, ErrNotApproved, nil)
		}
		return nil
	})
}

// ErrNotApproved is the error type of a rejected or timed-out approval.
const ErrNotApproved = "NotApproved"
