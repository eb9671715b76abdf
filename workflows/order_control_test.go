package workflows

import (
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

func approvalOrder() orders.Input {
	in := testOrder()
	in.ApprovalTimeout = time.Hour
	return in
}

// runWithCallbacks runs an order and fires each callback after its delay
// (workflow time, which the test environment skips through).
func (s *workflowSuite) runWithCallbacks(f *fakeServices, in orders.Input, at map[time.Duration]func(*testsuite.TestWorkflowEnvironment)) (orders.State, *testsuite.TestWorkflowEnvironment) {
	t := s.T()
	t.Helper()
	env := s.env
	f.register(env)
	for d, fn := range at {
		env.RegisterDelayedCallback(func() { fn(env) }, d)
	}
	env.ExecuteWorkflow(OrderWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	var st orders.State
	if env.GetWorkflowError() == nil {
		require.NoError(t, env.GetWorkflowResult(&st))
	}
	return st, env
}

func (s *OrderWorkflowSuite) TestApprovedOrderCompletes() {
	t := s.T()
	f := &fakeServices{}
	var accepted bool
	st, _ := s.runWithCallbacks(f, approvalOrder(), map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		10 * time.Minute: func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(UpdateApprove, "a1", &testsuite.TestUpdateCallback{
				OnAccept: func() { accepted = true },
				OnReject: func(err error) { t.Errorf("approve rejected: %v", err) },
			}, Decision{By: "admin"})
		},
	})
	require.True(t, accepted)
	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, StepCompleted, stepStatuses(st)[StepAwaitApproval])
	require.Equal(t, 1, f.calls["CapturePayment"])
	var sawAwaiting bool
	for _, r := range f.recorded {
		sawAwaiting = sawAwaiting || r.State.Status == orders.StatusAwaitingApproval
	}
	require.True(t, sawAwaiting, "the read model showed the order awaiting approval")
}

func (s *OrderWorkflowSuite) TestRejectedOrderIsCancelledAndCompensated() {
	t := s.T()
	f := &fakeServices{}
	st, _ := s.runWithCallbacks(f, approvalOrder(), map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		time.Minute: func(env *testsuite.TestWorkflowEnvironment) {
			env.SignalWorkflow(SignalReject, Decision{Reason: "fraud check failed"}) // the CLI's way
		},
	})
	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, notApprovedReason, st.FailureReason, "the admin's reason is not the customer's to read")
	require.Equal(t, "rejected: fraud check failed", stepErrors(st)[StepAwaitApproval], "operators read it in the step")
	require.Zero(t, f.calls["CapturePayment"])
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
}

func (s *OrderWorkflowSuite) TestUnapprovedOrderIsCancelledAfterTheTimeout() {
	t := s.T()
	f := &fakeServices{}
	st, _ := s.runWithCallbacks(f, approvalOrder(), nil)
	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, notApprovedReason, st.FailureReason)
	require.Equal(t, "not approved within 1h0m0s", stepErrors(st)[StepAwaitApproval])
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
}

func (s *OrderWorkflowSuite) TestCancelUpdateCompensatesAndAnswersWithTheOutcome() {
	t := s.T()
	f := &fakeServices{}
	var result orders.State
	var updateErr error
	st, _ := s.runWithCallbacks(f, approvalOrder(), map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		time.Minute: func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(UpdateCancel, "c1", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("cancel rejected: %v", err) },
				OnComplete: func(v any, err error) {
					updateErr = err
					if err == nil {
						result = v.(orders.State)
					}
				},
			}, Decision{Reason: "changed my mind"})
		},
	})
	require.NoError(t, updateErr)
	require.Equal(t, orders.StatusCancelled, result.Status, "the update answers once compensated")
	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, "Cancelled on request: changed my mind.", st.FailureReason)
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
}

func (s *OrderWorkflowSuite) TestCancelIsRefusedOnceCapturedOrFinished() {
	t := s.T()
	saga := &orderSaga{state: orders.State{Status: orders.StatusProcessing}}
	require.NoError(t, saga.validateCancel())

	saga.state.CaptureID = "cap_1"
	require.ErrorContains(t, saga.validateCancel(), "payment was captured")

	saga.done, saga.state.Status = true, orders.StatusCompleted
	require.ErrorContains(t, saga.validateCancel(), "already completed")

	saga = &orderSaga{state: orders.State{Status: orders.StatusProcessing}, ctl: control{cancel: &Decision{}}}
	require.ErrorContains(t, saga.validateCancel(), "already being cancelled")
}

func (s *OrderWorkflowSuite) TestApproveIsRefusedWhenNotAwaitingApproval() {
	t := s.T()
	f := &fakeServices{}
	var rejected error
	st, _ := s.runWithCallbacks(f, testOrder(), map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		0: func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(UpdateApprove, "a1", &testsuite.TestUpdateCallback{OnReject: func(err error) { rejected = err }}, Decision{})
		},
	})
	require.Equal(t, orders.StatusCompleted, st.Status)
	require.ErrorContains(t, rejected, "not awaiting approval")
}
