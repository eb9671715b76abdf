package integration

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// After an order, every worker's /metrics shows the Temporal SDK's metrics
// of its own queue: its task slots, the latency of its tasks, its requests
// to the Temporal frontend (the inventory worker is a process of its own,
// with its own registry).
func TestWorkersExportTemporalSDKMetrics(t *testing.T) {
	id := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	for _, q := range workflows.TaskQueues {
		require.Eventually(t, func() bool {
			body := scrape(t, stack.workerOps[q]+"/metrics")
			for _, name := range []string{"temporal_worker_task_slots_available", "temporal_workflow_task_execution_latency_seconds_count",
				"temporal_request_total"} {
				if !hasSeries(body, name, `task_queue="`+q+`"`) {
					t.Logf("worker %s: no %s of its queue yet", q, name)
					return false
				}
			}
			return true
		}, 30*time.Second, 500*time.Millisecond, "worker %s exports the SDK's metrics of its queue", q)
	}
}

// hasSeries reports whether the exposition text holds a series of metric
// name whose labels include label.
func hasSeries(body, name, label string) bool {
	for _, line := range strings.Split(body, "\n") {
		if labels, ok := strings.CutPrefix(line, name+"{"); ok && strings.Contains(labels[:strings.Index(labels, "}")+1], label) {
			return true
		}
	}
	return false
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
