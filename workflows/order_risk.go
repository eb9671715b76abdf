package workflows

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/risk"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// riskCheckChange marks orders assessed for risk before anything is held
// for them: their first step is assess_risk. Orders recorded before it
// (version 0) have no assessment.
const riskCheckChange = "risk-check"

// DefaultReviewTimeout is how long an order its assessment sends to an
// admin waits for the decision when its input names no ReviewTimeout.
const DefaultReviewTimeout = 24 * time.Hour

// ErrHighRisk is the error type of an order its assessment refused.
const ErrHighRisk = "HighRisk"

// assessRisk scores the order (a local activity over the rules and the
// counters in Redis) before its stock is held and its card charged:
//
//   - low goes on;
//   - medium goes on to the approval step after the authorization, as an
//     order above the approval threshold does, and its stock is held for
//     the wait;
//   - high fails the order, which holds nothing yet.
//
// An assessment that cannot be made (the activity failed three times) sends
// the order to an admin: neither refused nor waved through.
func (s *orderSaga) assessRisk(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, riskCheckChange, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	s.riskAssessed = true
	return s.step(ctx, StepAssessRisk, func() error {
		var a risk.Assessment
		req := activities.AssessRiskRequest{Order: s.riskOrder(ctx)}
		if err := workflow.ExecuteLocalActivity(riskCtx(ctx), riskActivities.AssessRisk, req).Get(ctx, &a); err != nil {
			if ctx.Err() != nil {
				return err // cancelled meanwhile
			}
			a = risk.Assessment{Level: risk.LevelMedium, Reasons: []string{"the assessment failed: " + failureReason(err)}}
		}
		s.state.Risk = &a
		countAssessment(ctx, a.Level)
		switch a.Level {
		case risk.LevelHigh:
			return temporal.NewNonRetryableApplicationError("refused by the risk assessment (score "+strconv.Itoa(a.Score)+"): "+
				strings.Join(a.Reasons, "; "), ErrHighRisk, nil)
		case risk.LevelMedium:
			s.review = true
		}
		return nil
	})
}

// recordDecline counts a declined authorization for the assessments of the
// customer's and the card's next orders. A count that fails is logged: the
// order has failed already, and one missed decline weakens the next
// assessment only a little.
func (s *orderSaga) recordDecline(ctx workflow.Context) {
	if !s.riskAssessed {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	req := activities.RecordDeclineRequest{Order: s.riskOrder(dctx), DeclinedAt: workflow.Now(dctx)}
	if err := workflow.ExecuteLocalActivity(riskCtx(dctx), riskActivities.RecordDecline, req).Get(dctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("decline not counted", "order_id", s.in.OrderID, "error", err)
	}
}

// riskOrder is the order as the assessment sees it; one started by hand
// without placed_at was placed when its workflow started.
func (s *orderSaga) riskOrder(ctx workflow.Context) risk.Order {
	placed := s.in.PlacedAt
	if placed.IsZero() {
		placed = workflow.GetInfo(ctx).WorkflowStartTime
	}
	return risk.Order{
		OrderID: s.in.OrderID, CustomerID: s.in.CustomerID, CardToken: s.in.PaymentToken,
		Total: s.in.Total, PlacedAt: placed,
		AccountCreatedAt: s.in.AccountCreatedAt, ContactOverride: s.in.ContactOverride,
	}
}

// approvalTimeout is how long the order waits for an admin after its
// authorization: its input's ApprovalTimeout (the API's threshold), or the
// review timeout when its assessment asked for one; 0 for no wait.
func (s *orderSaga) approvalTimeout() time.Duration {
	if s.in.ApprovalTimeout > 0 {
		return s.in.ApprovalTimeout
	}
	if s.review {
		return cmp.Or(s.in.ReviewTimeout, DefaultReviewTimeout)
	}
	return 0
}

// reservationInput is the order as its reservation sees it: the stock of an
// order sent to review is held through the wait too (the API has already
// added ApprovalTimeout for orders above its threshold).
func (s *orderSaga) reservationInput() orders.Input {
	in := s.in
	if s.review && s.in.ApprovalTimeout <= 0 {
		in.ReservationTTL = cmp.Or(in.ReservationTTL, DefaultReservationTTL) + s.approvalTimeout()
	}
	return in
}
