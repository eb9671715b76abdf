package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// 4 hoodies at 59.00 are over the suite's approval threshold of 200.00.
// The suite's tests reject, cancel or release them: there are 15.
func placeOrderNeedingApproval(t *testing.T) string {
	t.Helper()
	return placeOrderAwaitingApproval(t, orderBody("HOODIE-GRY-L", 4, "tok_visa"))
}

// placeOrderAwaitingApproval places an order over the approval threshold
// and waits until it awaits approval.
func placeOrderAwaitingApproval(t *testing.T, order string) string {
	t.Helper()
	status, _, body := post(t, "/api/orders", order)
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	waitForStep(t, id, workflows.StepAwaitApproval, workflows.StepRunning)
	// The step and the status reach the read model in separate writes.
	require.Eventually(t, func() bool {
		var o orders.Order
		getAs(t, "/api/orders/"+id, &o)
		return o.Status == orders.StatusAwaitingApproval
	}, 10*time.Second, 20*time.Millisecond, "order %s never awaited approval", id)
	return id
}

func TestApprovedOrderCompletes(t *testing.T) {
	id := placeOrderNeedingApproval(t)
	status, _, body := post(t, "/api/orders/"+id+"/approve", `{"reason":"known customer"}`, asAdmin)
	require.Equal(t, 202, status, "%v", body)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	// The search attribute followed the order past its approval.
	waitForClose(t, orders.WorkflowID(id))
	var orderStatus string
	searchAttribute(t, orders.WorkflowID(id), workflows.SearchAttrOrderStatus, &orderStatus)
	require.Equal(t, string(orders.StatusCompleted), orderStatus)

	status, _, body = post(t, "/api/orders/"+id+"/approve", "", asAdmin)
	require.Equal(t, 409, status, "%v", body)
	require.Contains(t, body["detail"], "already completed")
}

func TestRejectedOrderIsCancelledAndCompensated(t *testing.T) {
	onHandBefore, reservedBefore := stockOf(t, "HOODIE-GRY-L")
	id := placeOrderNeedingApproval(t)
	status, _, body := post(t, "/api/orders/"+id+"/reject", `{"reason":"suspicious"}`, asAdmin)
	require.Equal(t, 202, status, "%v", body)

	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCancelled, o.Status)
	require.Equal(t, "The order could not be approved.", o.FailureReason, "the admin's reason stays with operators")
	require.Len(t, paymentOps("void", id+":"), 1)
	onHand, reserved := stockOf(t, "HOODIE-GRY-L")
	require.Equal(t, onHandBefore, onHand)
	require.Equal(t, reservedBefore, reserved)
}

func TestCancelEndpoint(t *testing.T) {
	// Before the capture: cancelled, compensated, answered with the outcome.
	// The order waits for approval (2 × 129.00), where the saga takes the
	// cancellation that arrived during its authorization (cancel_test.go says
	// why a smaller one would be captured first).
	require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 1000}))
	t.Cleanup(stack.sandbox.ClearFaults)
	status, _, body := post(t, "/api/orders", orderBody("KEYBOARD-TKL", 2, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	waitForStep(t, id, workflows.StepAuthorizePayment, workflows.StepRunning)

	status, _, cancelled := post(t, "/api/orders/"+id+"/cancel", `{"reason":"ordered by mistake"}`)
	require.Equal(t, 200, status, "%v", cancelled)
	require.Equal(t, string(orders.StatusCancelled), cancelled["status"])
	require.Equal(t, "Cancelled on request: ordered by mistake.", cancelled["failure_reason"])
	require.Len(t, paymentOps("void", id+":"), 1)
	require.Empty(t, paymentOps("capture", id+":"))

	// Once its parcel has left: refused with the reason (before that, a
	// completed order's parcels are cancelled: shipment_cancel_test.go).
	stack.sandbox.ClearFaults()
	shipped := advance(t, placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1), orders.ShipmentInTransit)
	status, hdr, problem := post(t, "/api/orders/"+shipped.ID+"/cancel", "")
	require.Equal(t, 409, status)
	require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
	require.Contains(t, problem["detail"], "already shipped")

	status, _, _ = post(t, "/api/orders/0190a8f2-0000-7000-8000-000000000000/cancel", "")
	require.Equal(t, 404, status)
}
