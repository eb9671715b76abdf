package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// Cancelling an order from Temporal (Web UI, CLI) while the gateway is
// still authorizing: the saga waits for the in-flight call, then voids the
// authorization it produced and releases the stock. The order is one that
// waits for approval (2 × 129.00, over the suite's threshold): the saga sees
// the cancellation at that wait. (A smaller order's authorization and
// capture are local activities of one workflow task, and a cancellation that
// arrives during it is seen after the capture, too late, as in
// TestCancelDuringCaptureCompletesTheOrder.)
func TestCancelDuringAuthorizationVoidsAndReleases(t *testing.T) {
	const sku = "KEYBOARD-TKL"
	onHandBefore, reservedBefore := stockOf(t, sku)
	id, o := cancelDuring(t, "authorize", sku, 2)

	require.Equal(t, orders.StatusCancelled, o.Status)
	require.Len(t, paymentOps("authorize", id+":"), 1, "the in-flight authorization completed")
	require.Len(t, paymentOps("void", id+":"), 1, "and was voided")
	require.Empty(t, paymentOps("capture", id+":"))
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, onHandBefore, onHand)
	require.Equal(t, reservedBefore, reserved)
}

// cancelDuring places an order of quantity × sku and cancels it from
// Temporal while its op call (authorize, capture) is at the gateway, then
// lets the call finish; it returns the order as it ended.
func cancelDuring(t *testing.T, op, sku string, quantity int) (string, orders.Order) {
	t.Helper()
	held := holdGateway(t, op)
	status, _, body := post(t, "/api/orders", orderBody(sku, quantity, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	held.waitFor(t, id)
	require.NoError(t, stack.temporal.CancelWorkflow(context.Background(), orders.WorkflowID(id), ""))
	held.release()
	return id, waitForFinal(t, id)
}

func waitForStep(t *testing.T, id, step, status string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var o orders.Order
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		for _, s := range o.Steps {
			if s.Name == step && s.Status == status {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "order %s never reached %s %s", id, step, status)
}

// A cancellation that arrives while the payment is being captured comes too
// late: the capture is awaited, and the order completes, consistently.
func TestCancelDuringCaptureCompletesTheOrder(t *testing.T) {
	const sku = "TSHIRT-BLK-M"
	onHandBefore, reservedBefore := stockOf(t, sku)
	id, o := cancelDuring(t, "capture", sku, 1)

	require.Equal(t, orders.StatusCompleted, o.Status)
	require.Eventually(t, func() bool { return executionStatus(t, orders.WorkflowID(id)) == "Completed" },
		10*time.Second, 50*time.Millisecond, "Temporal shows what happened: completed, not canceled")
	require.Len(t, paymentOps("capture", id+":"), 1)
	require.Empty(t, paymentOps("void", id+":"))
	require.Empty(t, paymentOps("refund", id+":"))
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, onHandBefore-1, onHand)
	require.Equal(t, reservedBefore, reserved)
}
