package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/orderflow/orderflow/internal/domain/risk"
)

// RiskActivities assess orders before their payment, and count the declined
// payments the assessments weigh. The orders worker runs them as local
// activities: they read and write Redis in a millisecond.
type RiskActivities struct {
	Rules    risk.Rules
	Counters *risk.Counters
}

// countersTimeout bounds a call to the counters: a Redis that hangs must
// cost an order a second and the counts, not the local activity's timeout,
// whose failure would send the order to review.
const countersTimeout = time.Second

// AssessRiskRequest is the order as the assessment sees it. The payment
// token travels in memory only (a local activity's input is not recorded in
// the history), and Redis keeps its hash.
type AssessRiskRequest struct {
	Order risk.Order
}

// AssessRisk counts the order in its customer's and card's windows and
// scores it. Redis being down is no failure: the counts are missing, the
// assessment says so, and the order goes on.
func (a *RiskActivities) AssessRisk(ctx context.Context, req AssessRiskRequest) (risk.Assessment, error) {
	ctx, cancel := context.WithTimeout(ctx, countersTimeout)
	defer cancel()
	values, err := a.Counters.Measure(ctx, req.Order, time.Duration(a.Rules.Window))
	if err != nil {
		activity.GetLogger(ctx).Warn("risk counters unavailable; assessing without them", "order_id", req.Order.OrderID, "error", err)
	}
	return a.Rules.Assess(values), nil
}

// RecordDeclineRequest is an order whose authorization the gateway declined.
type RecordDeclineRequest struct {
	Order      risk.Order
	DeclinedAt time.Time
}

// RecordDecline counts the decline for the order's customer and card,
// once per order.
func (a *RiskActivities) RecordDecline(ctx context.Context, req RecordDeclineRequest) error {
	ctx, cancel := context.WithTimeout(ctx, countersTimeout)
	defer cancel()
	return a.Counters.RecordDecline(ctx, req.Order, req.DeclinedAt, time.Duration(a.Rules.Window))
}
