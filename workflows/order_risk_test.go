package workflows

import (
	"errors"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/risk"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

var (
	mediumRisk = risk.Assessment{Level: risk.LevelMedium, Score: 60, Reasons: []string{"an account opened in the last day", "3 declines"}}
	highRisk   = risk.Assessment{Level: risk.LevelHigh, Score: 130, Reasons: []string{"6 or more declines with this card"}}
)

// The assessment sees the order's facts, the card token included.
func (s *OrderWorkflowSuite) TestTheAssessmentSeesTheOrder() {
	t := s.T()
	f := &fakeServices{}
	in := testOrder()
	in.AccountCreatedAt, in.ContactOverride = in.PlacedAt.Add(-time.Hour), true
	st := s.runOrderInput(f, in)

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, []activities.AssessRiskRequest{{Order: risk.Order{OrderID: "o-1", CustomerID: "c-1", CardToken: "tok_visa",
		Total: 5000, PlacedAt: in.PlacedAt, AccountCreatedAt: in.AccountCreatedAt, ContactOverride: true}}}, f.assessed)
	require.Equal(t, StepAssessRisk, st.Steps[0].Name, "assessed before anything is held")
	require.Empty(t, f.declines)
}

// Medium risk waits for an admin after the authorization, and its stock is
// held through the wait: approved after an hour, past the 15-minute TTL,
// the order is captured.
func (s *OrderWorkflowSuite) TestMediumRiskWaitsForApprovalWithItsStockHeld() {
	t := s.T()
	f := &fakeServices{assessment: mediumRisk}
	in := testOrder()
	in.ReviewTimeout = 2 * time.Hour
	st, _ := s.runWithCallbacks(f, in, map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		time.Hour: func(env *testsuite.TestWorkflowEnvironment) {
			env.SignalWorkflow(SignalApprove, Decision{By: "admin"})
		},
	})
	require.Equal(t, orders.StatusCompleted, st.Status, "%+v", st.Steps)
	require.Equal(t, StepCompleted, stepStatuses(st)[StepAwaitApproval])
	require.Equal(t, &mediumRisk, st.Risk)
	require.Equal(t, 1, f.calls["CapturePayment"])
	require.Equal(t, []string{"res-o-1"}, f.committedIDs)
}

// Without a decision, a medium-risk order is cancelled after its review
// timeout (the default one when the API named none), and compensated.
func (s *OrderWorkflowSuite) TestMediumRiskUnansweredIsCancelled() {
	t := s.T()
	f := &fakeServices{assessment: mediumRisk}
	st, env := s.runWithCallbacks(f, testOrder(), nil)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, notApprovedReason, st.FailureReason)
	require.Equal(t, "not approved within "+DefaultReviewTimeout.String(), stepErrors(st)[StepAwaitApproval])
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
}

// High risk fails the order before anything is held or charged, with a
// reason the customer can read; the rules that applied are on the step,
// for admins.
func (s *OrderWorkflowSuite) TestHighRiskFailsBeforeAnythingIsHeld() {
	t := s.T()
	f := &fakeServices{assessment: highRisk}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, riskRefusedReason, st.FailureReason)
	require.Equal(t, map[string]string{StepAssessRisk: StepFailed, StepNotifyCustomer: StepCompleted}, stepStatuses(st))
	require.Equal(t, "refused by the risk assessment (score 130): 6 or more declines with this card", stepErrors(st)[StepAssessRisk])
	require.Equal(t, &highRisk, st.Risk)
	require.Zero(t, f.calls["ReserveStock"])
	require.Zero(t, f.calls["AuthorizePayment"])
	require.Zero(t, f.calls["VoidPayment"])
	require.Equal(t, 1, f.calls["Start:NotificationWorkflow"], "the customer is told")
}

// An assessment that cannot be made sends the order to an admin: neither
// refused nor waved through.
func (s *OrderWorkflowSuite) TestAFailedAssessmentSendsTheOrderToReview() {
	t := s.T()
	f := &fakeServices{assessErr: temporal.NewNonRetryableApplicationError("boom", "Bug", nil)}
	st, _ := s.runWithCallbacks(f, testOrder(), map[time.Duration]func(*testsuite.TestWorkflowEnvironment){
		time.Minute: func(env *testsuite.TestWorkflowEnvironment) {
			env.SignalWorkflow(SignalReject, Decision{By: "admin", Reason: "unknown risk"})
		},
	})
	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, risk.LevelMedium, st.Risk.Level)
	require.Equal(t, []string{"the assessment failed: boom"}, st.Risk.Reasons)
	require.Equal(t, "rejected by admin: unknown risk", stepErrors(st)[StepAwaitApproval])
}

// A declined card is counted once, for the next orders' assessments.
func (s *OrderWorkflowSuite) TestADeclineIsCounted() {
	t := s.T()
	f := &fakeServices{authorizeErr: temporal.NewNonRetryableApplicationError("card declined", activities.ErrPaymentDeclined, nil)}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Len(t, f.declines, 1)
	require.Equal(t, "o-1", f.declines[0].Order.OrderID)
	require.Equal(t, "tok_visa", f.declines[0].Order.CardToken)
	require.False(t, f.declines[0].DeclinedAt.IsZero())
}

// A gateway that fails without declining is no decline of the card.
func (s *OrderWorkflowSuite) TestAGatewayFailureIsNoDecline() {
	t := s.T()
	f := &fakeServices{authorizeErr: temporal.NewNonRetryableApplicationError("gateway down", activities.ErrPaymentGatewayFailed, errors.New("503"))}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Empty(t, f.declines)
}
