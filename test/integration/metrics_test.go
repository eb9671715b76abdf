package integration

import (
	"io"
	"net/http"
	"strconv"
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

// One order moves the orders worker's order counters by exactly one: its
// outcome recorded from the workflow (replay-safe) and its event from the
// activity that wrote it.
func TestOrderCountersMoveByOnePerOrder(t *testing.T) {
	ops := stack.workerOps[workflows.OrdersTaskQueue] + "/metrics"
	outcome := func() float64 {
		return sumOf(scrape(t, ops), "orderflow_orders_total", `outcome="completed"`, `failure_class="none"`)
	}
	event := func() float64 { return sumOf(scrape(t, ops), "orderflow_order_events_total", `type="order.completed"`) }
	// Earlier tests' notifications and repairs may still be finishing: wait
	// until the counters stand still before counting.
	var outcomes, events float64
	require.Eventually(t, func() bool {
		o, e := outcome(), event()
		still := o == outcomes && e == events
		outcomes, events = o, e
		return still
	}, 30*time.Second, time.Second)

	id := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	require.Eventually(t, func() bool { return outcome() == outcomes+1 && event() == events+1 }, 10*time.Second, 200*time.Millisecond,
		"orderflow_orders_total and orderflow_order_events_total each grow by one")
	time.Sleep(2 * time.Second) // a second count would show by now (the worker records as it goes)
	require.Equal(t, outcomes+1, outcome())
	require.Equal(t, events+1, event())
}

// sumOf adds up the samples of metric name whose labels include every one
// of labels.
func sumOf(body, name string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		set, value, _ := strings.Cut(rest, "} ")
		if !containsAll(set, labels) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

func containsAll(set string, labels []string) bool {
	for _, l := range labels {
		if !strings.Contains(set, l) {
			return false
		}
	}
	return true
}
