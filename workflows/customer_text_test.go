package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// What a customer reads, rendered: one full stop per sentence, no internal
// prefixes, and whether they were charged.
func TestOrderMessagesReadAsSentences(t *testing.T) {
	in := testOrder()
	captured := []Step{{Name: StepCapturePayment, Status: StepCompleted}}
	declined := temporal.NewNonRetryableApplicationError("Your card was declined.", ErrPaymentDeclined, nil)
	outOfStock := temporal.NewNonRetryableApplicationError("SKU-1: 2 requested, 1 available", ErrOutOfStock, nil)
	for name, tc := range map[string]struct {
		state         OrderState
		subject, body string
	}{
		"completed": {OrderState{Status: OrderCompleted},
			"Order o-1 confirmed", "Thank you! Your order o-1 of 50.00 USD is confirmed."},
		"declined (the gateway's message ends in a full stop)": {OrderState{Status: OrderFailed, FailureReason: customerReason(declined)},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. Your card was declined. You have not been charged."},
		"out of stock": {OrderState{Status: OrderFailed, FailureReason: customerReason(outOfStock)},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. SKU-1: 2 requested, 1 available. You have not been charged."},
		"a technical failure": {OrderState{Status: OrderFailed, FailureReason: customerReason(temporal.NewApplicationError("payment gateway failed (500)", ErrPaymentGatewayFailed))},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. A service the order needs was unavailable. You have not been charged."},
		"refunded after the reservation expired": {OrderState{Status: OrderFailed, Steps: captured,
			FailureReason: customerReason(temporal.NewNonRetryableApplicationError("the stock reservation expired before the payment completed", ErrReservationReleased, nil))},
			"Order o-1 could not be completed", "Sorry, your order o-1 could not be completed. The stock reservation expired before the payment completed. Your payment has been refunded."},
		"rejected by an admin": {OrderState{Status: OrderCancelled, FailureReason: notApprovedReason},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. The order could not be approved. You have not been charged."},
		"cancelled with a reason": {OrderState{Status: OrderCancelled, FailureReason: cancelledReason("changed my mind.")},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. Reason given: changed my mind. You have not been charged."},
		"cancelled without one": {OrderState{Status: OrderCancelled, FailureReason: cancelledReason("")},
			"Order o-1 cancelled", "Your order o-1 has been cancelled. You have not been charged."},
		"stopped by an operator after the capture": {OrderState{Status: OrderCancelled, FailureReason: stoppedReason, Steps: captured},
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
