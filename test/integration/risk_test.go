package integration

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/risk"
	"github.com/orderflow/orderflow/workflows"
)

// The shipped risk rules on the real stack, whose counters are in Redis: a
// new account with contact addresses of its own pays with a card that its
// gateway keeps declining. After three declines its next order waits for
// an admin; after six declines of the card, an order with it is refused
// before anything is held. (tok_insufficient_funds is this test's card:
// no other test pays with it.)
func TestRiskLevelsOnTheRealStack(t *testing.T) {
	customer := bearer(newCustomer(t).AccessToken)
	decline := func() orders.Order {
		t.Helper()
		o := waitForFinal(t, placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_insufficient_funds"), customer))
		require.Equal(t, orders.StatusFailed, o.Status)
		require.Contains(t, o.FailureReason, "insufficient funds")
		return o
	}
	for range 3 {
		decline()
	}

	// Medium: three declines of the customer's, a new account, other
	// addresses.
	id := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"), customer)
	waitForStep(t, id, workflows.StepAwaitApproval, workflows.StepRunning)
	var o orders.Order
	require.Equal(t, 200, getAs(t, "/api/orders/"+id, &o, asAdmin))
	require.NotNil(t, o.Risk, "admins see the assessment")
	require.Equal(t, risk.LevelMedium, o.Risk.Level, "%+v", o.Risk)
	require.Contains(t, o.Risk.Reasons, "3 or more declined payments of the customer recently")
	require.Contains(t, o.Risk.Reasons, "an account opened in the last day")
	require.Contains(t, o.Risk.Reasons, "contact addresses that are not the profile's")
	_, _, own := get(t, "/api/orders/"+id, customer)
	require.NotContains(t, own, "risk", "customers do not")
	status, _, body := post(t, "/api/orders/"+id+"/approve", `{"reason":"called the customer"}`, asAdmin)
	require.Equal(t, 202, status, "%v", body)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)

	// Three more declines make six for the card: high.
	for range 3 {
		decline()
	}
	o = waitForFinal(t, placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_insufficient_funds"), customer))
	require.Equal(t, orders.StatusFailed, o.Status)
	require.Equal(t, "The order could not be accepted. If you think this is a mistake, please contact us.", o.FailureReason)
	require.Equal(t, risk.LevelHigh, o.Risk.Level, "%+v", o.Risk)
	require.Contains(t, o.Risk.Reasons, "6 or more declined payments with this card recently")
	require.Len(t, o.Steps, 2, "refused before stock or payment: %+v", o.Steps)
	require.Equal(t, workflows.StepAssessRisk, o.Steps[0].Name)
	require.Equal(t, workflows.StepFailed, o.Steps[0].Status)
	require.Empty(t, paymentOps("authorize", o.ID+":"), "the card was not charged")
	require.NotEmpty(t, o.Steps[0].Error, "admins read which rules applied")
	var mine orders.Order
	require.Equal(t, 200, getAs(t, "/api/orders/"+o.ID, &mine, customer))
	require.Nil(t, mine.Risk)
	require.Empty(t, mine.Steps[0].Error, "the customer does not: it would say what to change")
	require.Equal(t, o.FailureReason, mine.FailureReason)
}
