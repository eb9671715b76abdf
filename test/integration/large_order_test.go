package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// The largest order the API accepts (100 lines) completes, and its history
// stays far inside Temporal's limits (2 MB payloads, 50 MB / 51,200 events of
// history): nothing about an order grows with time or retries.
func TestLargestOrderStaysWithinTemporalLimits(t *testing.T) {
	for _, sku := range []string{"TSHIRT-BLK-M", "MUG-CERAMIC"} {
		status, _, body := post(t, "/api/inventory/"+sku+"/adjustments", `{"warehouse":"us-east","delta":100,"reason":"large order test"}`, asAdmin)
		require.Equal(t, 201, status, "%v", body)
	}
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"sku":%q,"quantity":1}`, []string{"TSHIRT-BLK-M", "MUG-CERAMIC"}[i%2])
	}
	body := `{"items":[` + strings.Join(lines, ",") + `],"payment":{"token":"tok_visa"},"contact":{"email":"big@example.com"}}`
	status, _, placed := post(t, "/api/orders", body)
	require.Equal(t, 202, status, "%v", placed)
	id := placed["id"].(string)
	// 3,700.00 is over the approval threshold.
	waitForStep(t, id, workflows.StepAwaitApproval, workflows.StepRunning)
	status, _, approved := post(t, "/api/orders/"+id+"/approve", "", asAdmin)
	require.Equal(t, 202, status, "%v", approved)

	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, o.FailureReason)
	require.Len(t, o.Items, 100)

	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), orders.WorkflowID(id), "")
	require.NoError(t, err)
	info := desc.WorkflowExecutionInfo
	t.Logf("100-line order: %d history events, %d bytes of history", info.HistoryLength, info.HistorySizeBytes)
	require.Less(t, info.HistoryLength, int64(200))
	require.Less(t, info.HistorySizeBytes, int64(256<<10))
	input, err := json.Marshal(o.Items)
	require.NoError(t, err)
	require.Less(t, len(input), 64<<10, "the workflow input is a small fraction of the 2 MB payload limit")
}
