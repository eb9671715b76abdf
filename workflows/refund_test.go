package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

func refundToPay() orders.RefundToPay {
	return orders.RefundToPay{
		Refund:     orders.Refund{ID: "r-1", OrderID: "o-1", Amount: 1250, Currency: "USD", Status: orders.RefundPending},
		CustomerID: "c-1", CaptureID: "cap_1", Contact: notifications.Contact{Email: "a@example.com"},
	}
}

// runRefund runs refund r-1 (as refundToPay, with status) whose gateway
// fails its first gatewayFails calls and then answers with refundErr, and
// returns its result, the refund requests, the settlements and the
// workflows it started.
func runRefund(t *testing.T, status orders.RefundStatus, gatewayFails int, refundErr error) (orders.Refund, []activities.RefundPaymentRequest, []activities.SettleRefundRequest, []string) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.OnActivity(orderActivities.LoadRefund, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) (orders.RefundToPay, error) {
		p := refundToPay()
		p.Refund.Status = status
		return p, nil
	})
	var asked []activities.RefundPaymentRequest
	var settled []activities.SettleRefundRequest
	var started []string
	env.OnActivity(paymentActivities.RefundPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.RefundPaymentRequest) (activities.PaymentResult, error) {
		asked = append(asked, req)
		if len(asked) <= gatewayFails {
			return activities.PaymentResult{}, errors.New("read tcp: connection reset by peer")
		}
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
	env.ExecuteWorkflow(RefundWorkflow, RefundInput{RefundID: "r-1"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var r orders.Refund
	require.NoError(t, env.GetWorkflowResult(&r))
	return r, asked, settled, started
}

func TestRefundWorkflowPaysOnceAndTellsTheCustomer(t *testing.T) {
	r, asked, settled, started := runRefund(t, orders.RefundPending, 0, nil)
	require.Equal(t, orders.RefundRefunded, r.Status)
	require.Equal(t, []activities.RefundPaymentRequest{{IdempotencyKey: "refund:r-1", CaptureID: "cap_1", Amount: 1250}}, asked)
	require.Equal(t, []activities.SettleRefundRequest{{RefundID: "r-1", Status: orders.RefundRefunded, GatewayRefundID: "re_1"}}, settled)
	require.Equal(t, []string{notifications.WorkflowID("o-1-refund-r-1")}, started)
}

// A refusal (here: more than the capture has left) fails the refund at
// once, and the customer is not told of money that is not coming.
func TestRefundWorkflowRecordsARefusal(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("refund amount must be between 1 and the 50 left to refund", activities.ErrPaymentDeclined, nil)
	r, asked, settled, started := runRefund(t, orders.RefundPending, 0, refused)
	require.Equal(t, orders.RefundFailed, r.Status)
	require.Len(t, asked, 1, "a refusal is not retried")
	require.Equal(t, []activities.SettleRefundRequest{{RefundID: "r-1", Status: orders.RefundFailed,
		Failure: "refund amount must be between 1 and the 50 left to refund"}}, settled)
	require.Empty(t, started)
}

// An unknown outcome (the answer lost) is no refusal: the gateway may have
// paid, so the refund is asked again, with its key, until the gateway
// answers; it is never settled as failed, which would free its amount.
func TestRefundWorkflowRetriesAnUnknownOutcome(t *testing.T) {
	r, asked, settled, _ := runRefund(t, orders.RefundPending, 8, nil) // the test environment stops retries at 10 attempts
	require.Equal(t, orders.RefundRefunded, r.Status)
	require.Len(t, asked, 9)
	for _, req := range asked {
		require.Equal(t, "refund:r-1", req.IdempotencyKey)
	}
	require.Equal(t, []activities.SettleRefundRequest{{RefundID: "r-1", Status: orders.RefundRefunded, GatewayRefundID: "re_1"}}, settled)
}

// A run of a refund settled already (a restart) pays nothing.
func TestRefundWorkflowOfASettledRefund(t *testing.T) {
	r, asked, settled, started := runRefund(t, orders.RefundRefunded, 0, nil)
	require.Equal(t, orders.RefundRefunded, r.Status)
	require.Empty(t, asked)
	require.Empty(t, settled)
	require.Empty(t, started)
}

func TestRefundMessage(t *testing.T) {
	msg := refundMessage(refundToPay())
	require.Equal(t, "Refund for order o-1", msg.Subject)
	require.Equal(t, "We have refunded 12.50 USD for your order o-1. It reaches your card within a few days.", msg.Body)
	require.Equal(t, []string{notifications.ChannelEmail, notifications.ChannelSMS}, msg.Channels)
}
