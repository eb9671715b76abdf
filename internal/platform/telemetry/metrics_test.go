package telemetry

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// What the SDK records through the handler is on /metrics, named as
// Prometheus names them: a counter with _total, a timer in seconds.
func TestTemporalMetricsReachPrometheus(t *testing.T) {
	h, err := TemporalMetrics()
	if err != nil {
		t.Fatal(err)
	}
	h = h.WithTags(map[string]string{"task_queue": "orders"})
	h.Counter("temporal_request").Inc(1)
	h.Timer("temporal_workflow_task_schedule_to_start_latency").Record(20 * time.Millisecond)
	h.Gauge("temporal_worker_task_slots_available").Update(4)

	rec := httptest.NewRecorder()
	promhttp.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`temporal_request_total{task_queue="orders"} 1`,
		`temporal_workflow_task_schedule_to_start_latency_seconds_count{task_queue="orders"} 1`,
		`temporal_worker_task_slots_available{task_queue="orders"} 4`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no %s:\n%s", want, grep(body, "temporal_"))
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
