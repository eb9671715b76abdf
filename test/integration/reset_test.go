package integration

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// Resetting a completed order to its first workflow task (an operator's
// `temporal workflow reset --type FirstWorkflowTask`) re-runs the saga: the
// reservation is found sold, the gateway replays authorize and capture by
// their keys, and the order completes again, charged and sold once.
func TestResetOfACompletedOrderChangesNothing(t *testing.T) {
	const sku = "POSTER-A2"
	onHandBefore, _ := stockOf(t, sku)
	status, _, body := post(t, "/api/orders", orderBody(sku, 1, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)

	ctx := context.Background()
	wfID := orders.WorkflowID(id)
	firstTask := int64(0)
	it := stack.temporal.GetWorkflowHistory(ctx, wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() && firstTask == 0 {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			firstTask = ev.GetEventId()
		}
	}
	reset, err := stack.temporal.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 stack.cfg.TemporalNamespace,
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: wfID},
		Reason:                    "integration test",
		WorkflowTaskFinishEventId: firstTask,
		RequestId:                 uuid.NewString(),
	})
	require.NoError(t, err)
	var result orders.State
	require.NoError(t, stack.temporal.GetWorkflow(ctx, wfID, reset.RunId).Get(ctx, &result))

	require.Equal(t, orders.StatusCompleted, result.Status, "reason: %s", result.FailureReason)
	require.Len(t, paymentOps("capture", id+":"), 1)
	require.Empty(t, paymentOps("refund", id+":"))
	require.Empty(t, paymentOps("void", id+":"))
	onHand, _ := stockOf(t, sku)
	require.Equal(t, onHandBefore-1, onHand, "sold once")
	require.Eventually(t, func() bool {
		o := waitForFinal(t, id)
		return o.Status == orders.StatusCompleted
	}, 10*time.Second, 100*time.Millisecond)
}
