package workflows

import (
	"fmt"
	"strings"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/workflow"
)

// SignalRetryCompensation asks an order that needs attention to run its
// failed compensations again (temporal workflow signal --name
// retry-compensation), once the operator has fixed what stopped them.
const SignalRetryCompensation = "retry-compensation"

// attend hands an order whose compensations failed for good to an operator:
// it records the status needs_attention with what is left undone (the
// order.needs_attention event, the OrderStatus search attribute and the
// orders worker's metric alert on it) and waits, without a timer, for the
// retry-compensation signal to run them again, until none is left.
func (s *orderSaga) attend(ctx workflow.Context, failed []compensation) {
	retry := workflow.GetSignalChannel(ctx, SignalRetryCompensation)
	for len(failed) > 0 {
		s.state.Status = orders.StatusNeedsAttention
		s.state.Attention = s.undone()
		s.record(ctx, orders.StatusNeedsAttention.Event())
		workflow.GetLogger(ctx).Error("order needs attention: compensation failed for good",
			"order_id", s.in.OrderID, "attention", s.state.Attention)
		retry.Receive(ctx, nil)
		workflow.GetLogger(ctx).Info("retrying failed compensations", "order_id", s.in.OrderID)
		failed = s.compensate(ctx, failed)
	}
}

// undone describes, for operators, the compensations whose latest attempt
// failed: each step and its error.
func (s *orderSaga) undone() string {
	last := map[string]orders.Step{}
	var names []string
	for _, st := range s.state.Steps {
		if _, seen := last[st.Name]; !seen {
			names = append(names, st.Name)
		}
		last[st.Name] = st
	}
	var parts []string
	for _, name := range names {
		if st := last[name]; st.Status == StepFailed && isCompensation(name) {
			parts = append(parts, fmt.Sprintf("%s failed: %s", name, st.Error))
		}
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(`; fix the cause, then signal %q to retry`, SignalRetryCompensation)
}

func isCompensation(step string) bool {
	return step == StepReleaseReservation || step == StepVoidPayment || step == StepRefundPayment
}
