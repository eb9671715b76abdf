package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

func refundInput() RefundInput {
	return RefundInput{RefundID: "r-1", OrderID: "o-1", CustomerID: "c-1", CaptureID: "cap_1", Amount: 1250, Currency: "USD",
		Contact: notifications.Contact{Email: "a@example.com"}}
}

// runRefund runs a refund whose gateway answers with refundErr, and returns
// its result, the refund requests and the settlements.
func runRefund(t *testing.T, refundErr error) (orders.Refund, []activities.RefundPaymentRequest, []activities.SettleRefundRequest, []string) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	var asked []activities.RefundPaymentRequest
	var settled []activities.SettleRefundRequest
	var started []string
	env.OnActivity(paymentActivities.RefundPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.RefundPaymentRequest) (activities.PaymentResult, error) {
		asked = append(asked, req)
		if refundErr != nil {
			return activities.PaymentResult{}, refundErr
		}
		return activities.PaymentResult{ID: "re_1"}, nil
	})
	env.OnActivity(orderActivities.SettleRefund, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.SettleRefundRequest) error {
		settled = append(settled, req)
		return nil
	})
	env.OnActivity(temporalActivities.StartWorkflow, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.StartWorkflowRequest) error {
		started = append(started, req.WorkflowID)
		return nil
	})
	env.ExecuteWorkflow(RefundWorkflow, refundInput())
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var r orders.Refund
	require.NoError(t, env.GetWorkflowResult(&r))
	return r, asked, settled, started
}

func TestRefundWorkflowPaysOnceAndTellsTheCustomer(t *testing.T) {
	r, asked, settled, started := runRefund(t, nil)
	require.Equal(t, orders.RefundRefunded, r.Status)
	require.Equal(t, []activities.RefundPaymentRequest{{IdempotencyKey: "refund:r-1", CaptureID: "cap_1", Amount: 1250}}, asked)
	require.Equal(t, []activities.SettleRefundRequest{{RefundID: "r-1", Status: orders.RefundRefunded, GatewayRefundID: "re_1"}}, settled)
	require.Equal(t, []string{notifications.WorkflowID("o-1-refund-r-1")}, started)
}

// A refusal (here: more than the capture has left) fails the refund at
// once, and the customer is not told of money that is not coming.
func TestRefundWorkflowRecordsARefusal(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("refund amount must be between 1 and the 50 left to refund", activities.ErrPaymentDeclined, nil)
	r, asked, settled, started := runRefund(t, refused)
	require.Equal(t, orders.RefundFailed, r.Status)
	require.Len(t, asked, 1, "a refusal is not retried")
	require.Equal(t, []activities.SettleRefundRequest{{RefundID: "r-1", Status: orders.RefundFailed,
		Failure: "refund amount must be between 1 and the 50 left to refund"}}, settled)
	require.Empty(t, started)
}

func TestRefundMessage(t *testing.T) {
	msg := refundMessage(refundInput())
	require.Equal(t, "Refund for order o-1", msg.Subject)
	require.Equal(t, "We have refunded 12.50 USD for your order o-1. It reaches your card within a few days.", msg.Body)
	require.Equal(t, []string{notifications.ChannelEmail, notifications.ChannelSMS}, msg.Channels)
}
