package workflows

import (
	"testing"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// What a customer reads, rendered: one full stop per sentence, no internal
// prefixes, and whether they were charged.
func TestOrderMessagesReadAsSentences(t *testing.T) {
	in := testOrder()
	captured := []orders.Step{{Name: StepCapturePayment, Status: StepCompleted}}
	declined := temporal.NewNonRetryableApplicationError("Your card was declined.", activities.ErrPaymentDeclined, nil)
	outOfStock := temporal.NewNonRetryableApplicationError("SKU-1: 2 requested, 1 available", activities.ErrOutOfStock, nil)
	for name, tc := range map[string]struct {
		state         orders.State
		subject, body string
	}{
		"completed": {orders.State{Status: orders.StatusCompleted},
			"Order o-1 confirmed", "Thank you! Your order o-1 of 50.00 USD is confirmed."},
		"declined (the gateway's message ends in a full stop)": {orders.State{Status: orders.StatusFailed, FailureReason: customerReason(declined)},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. Your card was declined. You have not been charged."},
		"out of stock": {orders.State{Status: orders.StatusFailed, FailureReason: customerReason(outOfStock)},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. SKU-1: 2 requested, 1 available. You have not been charged."},
		"a technical failure": {orders.State{Status: orders.StatusFailed, FailureReason: customerReason(temporal.NewApplicationError("payment gateway failed (500)", activities.ErrPaymentGatewayFailed))},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. A service the order needs was unavailable. You have not been charged."},
		"refunded after the reservation expired": {orders.State{Status: orders.StatusFailed, Steps: captured,
			FailureReason: customerReason(temporal.NewNonRetryableApplicationError("the stock reservation expired before the payment completed", activities.ErrReservationReleased, nil))},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. The stock reservation expired before the payment completed. Your payment has been refunded."},
		"rejected by an admin": {orders.State{Status: orders.StatusCancelled, FailureReason: notApprovedReason},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. The order could not be approved. You have not been charged."},
		"cancelled with a reason": {orders.State{Status: orders.StatusCancelled, FailureReason: cancelledReason("changed my mind.")},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. Reason given: changed my mind. You have not been charged."},
		"cancelled without one": {orders.State{Status: orders.StatusCancelled, FailureReason: cancelledReason("")},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. You have not been charged."},
		"stopped by an operator after the capture": {orders.State{Status: orders.StatusCancelled, FailureReason: stoppedReason, Steps: captured},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. The order was stopped before it could be completed. Your payment has been refunded."},
	} {
		t.Run(name, func(t *testing.T) {
			subject, body := orderText(in, tc.state)
			require.Equal(t, tc.subject, subject)
			require.Equal(t, tc.body, body)
			require.NotContains(t, body, "..")
		})
	}
}

func TestCapitalizeKeepsNonASCII(t *testing.T) {
	require.Equal(t, "Échec du paiement", capitalize("échec du paiement"))
	require.Equal(t, "", capitalize(""))
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"card declined": "card declined.", "Declined.": "Declined.", "Declined..": "Declined.",
		" spaced . ": "spaced .", "Really?": "Really?", "": "",
	} {
		require.Equal(t, want, sentence(in), "sentence(%q)", in)
	}
}
