package integration

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/k8s/monitoring"
	"github.com/orderflow/orderflow/workflows"
)

// notExported are the metric names the alerts and dashboards of k8s/monitoring
// use that no orderflow role exports, with where they come from.
var notExported = map[string]string{
	"up": "Prometheus itself, per scrape target",
	// The Temporal SDK makes a metric at its first record, and these record
	// what a working stack never does.
	"temporal_workflow_task_execution_failed_total": "the SDK, at a workflow task's first failure (a bug in workflow code)",
	"temporal_request_failure_total":                "the SDK, at a request to the Temporal frontend's first failure",
	// The declined order fails a local activity (the authorization); a
	// regular one fails when a provider refuses a message or the gateway
	// fails a compensation, which these orders do not do.
	"temporal_activity_execution_failed_total": "the SDK, at a regular activity's first failure",
	// Every activity here starts eagerly on the worker that scheduled it
	// (system.enableActivityEagerExecution, as in production), which records
	// no schedule-to-start; the rest (retries, a worker with no free slot)
	// wait in matching and record it.
	"temporal_activity_schedule_to_start_latency_seconds_bucket": "the SDK, at an activity's first start through matching",
}

// temporalServerMetrics come from the Temporal server, not from a role.
var temporalServerMetrics = []string{"approximate_backlog_count"}

// After a completed order, a declined one and a forged delivery callback,
// every metric an alert or a dashboard of k8s/monitoring names is on the
// /metrics of a role (the api, a worker) or, for the server's own, of the
// Temporal dev server: a renamed metric breaks the test, not the dashboards.
func TestMonitoringNamesExportedMetrics(t *testing.T) {
	names, err := monitoring.MetricNames()
	require.NoError(t, err)

	completed := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"))
	declined := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_declined"), bearer(newCustomer(t).AccessToken))
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, completed).Status)
	require.Equal(t, orders.StatusFailed, waitForFinal(t, declined).Status)
	forged := url.Values{"MessageSid": {"SM0"}, "MessageStatus": {"delivered"}}
	require.Equal(t, http.StatusForbidden, postCallback(t, api.TwilioWebhookPath, "application/x-www-form-urlencoded", forged.Encode(),
		map[string]string{"X-Twilio-Signature": "forged"}))

	roles := []string{stack.apiOps + "/metrics"}
	for _, q := range workflows.TaskQueues {
		roles = append(roles, stack.workerOps[q]+"/metrics")
	}
	var missing []string
	// Notifications outlive their order, and the server reports a queue's
	// backlog when it syncs the queue's state, every minute
	// (matching.updateAckInterval): give both time.
	deadline := time.Now().Add(90 * time.Second)
	for {
		fromRoles, fromServer := exported(t, roles...), exported(t, stack.infra.TemporalMetricsURL)
		missing = missing[:0]
		for _, name := range names {
			from := fromRoles
			if slices.Contains(temporalServerMetrics, name) {
				from = fromServer
			}
			if _, exempt := notExported[name]; !exempt && !from[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	require.Empty(t, missing, "named by k8s/monitoring's rules or dashboards, exported by none of %v (Temporal server: %s)",
		roles, stack.infra.TemporalMetricsURL)
}

// exported returns the names of the series the endpoints serve: a
// histogram's as _bucket, _sum and _count, as PromQL selects them.
func exported(t *testing.T, urls ...string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, u := range urls {
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err := p.TextToMetricFamilies(strings.NewReader(scrape(t, u)))
		require.NoError(t, err, u)
		for name, f := range families {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
			case dto.MetricType_SUMMARY:
				names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
			default:
				names[name] = true
			}
		}
	}
	return names
}
