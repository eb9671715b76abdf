package integration

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// `temporal workflow terminate` skips the saga's own compensations: the
// orders worker's reconciler notices the order whose workflow closed without
// an outcome and repairs it: the authorization is voided, the stock goes
// back and the order ends cancelled, once.
func TestTerminatedOrderIsRepaired(t *testing.T) {
	const sku = "HOODIE-GRY-L"
	onHandBefore, reservedBefore := stockOf(t, sku)
	id := placeOrderNeedingApproval(t)
	require.Len(t, paymentOps("authorize", id+":"), 1)

	require.NoError(t, stack.temporal.TerminateWorkflow(context.Background(), orders.WorkflowID(id), "", "operator test"))
	o := waitForFinal(t, id)

	require.Equal(t, orders.StatusCancelled, o.Status)
	require.Equal(t, "The order was stopped before it could be completed.", o.FailureReason)
	require.Len(t, paymentOps("void", id+":"), 1, "the held authorization is released")
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, onHandBefore, onHand)
	require.Equal(t, reservedBefore, reserved, "the stock is back")
	require.Equal(t, "Completed", executionStatus(t, workflows.RepairOrderWorkflowID(id)))
	// The reservation's workflow, left running by its terminated parent,
	// ends now instead of at its TTL.
	require.Eventually(t, func() bool { return executionStatus(t, workflows.ReservationID(id)) == "Completed" },
		10*time.Second, 50*time.Millisecond)

	// Scans go on; the order is not repaired twice.
	time.Sleep(3 * time.Second) // three reconciler intervals (main_test.go)
	require.Len(t, paymentOps("void", id+":"), 1)
	var evs struct {
		Events []orders.Event `json:"events"`
	}
	getAs(t, "/api/orders/"+id+"/events", &evs, asAdmin)
	var cancelled int
	for _, ev := range evs.Events {
		if ev.Type == "order.cancelled" {
			cancelled++
		}
	}
	require.Equal(t, 1, cancelled)
}

// A cancel that waits on a slow gateway (the authorization in flight) is
// under way when the API stops waiting: 202, and the order ends cancelled.
func TestCancelWaitingOnTheGatewayIsAccepted(t *testing.T) {
	authorizing := holdGateway(t, "authorize")
	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	authorizing.waitFor(t, id)

	status, _, body = post(t, "/api/orders/"+id+"/cancel", `{"reason":"too slow"}`)
	require.Equal(t, 202, status, "still cancelling after the API's wait: %v", body)
	authorizing.release()
	require.Equal(t, orders.StatusCancelled, waitForFinal(t, id).Status)
}

// A reset ends the current run as Terminated and goes on in a new one: the
// reconciler leaves such an order alone.
func TestResetOrderIsNotRepaired(t *testing.T) {
	ctx := context.Background()
	id := placeOrderNeedingApproval(t)
	wfID := orders.WorkflowID(id)
	lastTask := int64(0)
	it := stack.temporal.GetWorkflowHistory(ctx, wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			lastTask = ev.GetEventId()
		}
	}
	_, err := stack.temporal.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace: stack.cfg.TemporalNamespace, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: wfID},
		Reason: "integration test", WorkflowTaskFinishEventId: lastTask, RequestId: uuid.NewString(),
	})
	require.NoError(t, err)

	time.Sleep(3 * time.Second) // three reconciler intervals (main_test.go)
	_, err = stack.temporal.DescribeWorkflowExecution(ctx, workflows.RepairOrderWorkflowID(id), "")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "no repair of an order that runs on")
	require.Empty(t, paymentOps("void", id+":"))
	require.Equal(t, "Running", executionStatus(t, wfID))

	// Once its latest run is terminated too, it is repaired.
	require.NoError(t, stack.temporal.TerminateWorkflow(ctx, wfID, "", "operator test"))
	require.Equal(t, orders.StatusCancelled, waitForFinal(t, id).Status)
	require.Len(t, paymentOps("void", id+":"), 1)
}
