package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentilesTakeTheNearestRankBelow(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(d)
	want := Latencies{P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if d[0] != 100*time.Millisecond {
		t.Error("percentiles sorted its argument")
	}
	if percentiles(nil) != (Latencies{}) {
		t.Error("no latencies gave some")
	}
}

func TestPhasesAreRatiosOfTheirBaseline(t *testing.T) {
	bare := summarize("bare", "workflow", []sample{{status: "completed"}, {status: "completed"}}, time.Second)
	orders := summarize("orders", "order", []sample{{status: "completed"}, {err: errors.New("boom")}}, time.Second)
	orders.compare(bare)
	if bare.Rate != 2 || orders.Rate != 1 || orders.Ratio != 0.5 || orders.Errors != 1 || orders.FirstError != "boom" {
		t.Fatalf("bare %+v, orders %+v", bare, orders)
	}
	idle := summarize("bare", "workflow", nil, time.Second)
	orders.compare(idle)
	if orders.Ratio != 0 {
		t.Errorf("a ratio of nothing: %v", orders.Ratio)
	}
}

func TestTableHasAColumnPerProcess(t *testing.T) {
	r := Report{Phases: []Phase{
		{Name: "bare", Unit: "workflow", Rate: 40, CPU: []ProcessCPU{{Name: "temporal", PerUnit: 12.34}}},
		{Name: "orders", Unit: "order", Rate: 8, RatioOf: "bare", Ratio: 0.2, Transitions: 38,
			CPU: []ProcessCPU{{Name: "temporal", PerUnit: 150}, {Name: "api", PerUnit: 0.0123}}},
	}}
	want := "| phase | rate | ratio | p50 / p95 / p99 | transitions/unit | temporal CPU ms/unit | api CPU ms/unit |\n" +
		"| --- | --- | --- | --- | --- | --- | --- |\n" +
		"| bare | 40.0 wf/s |  | 0.0 / 0.0 / 0.0 ms |  | 12.3 |  |\n" +
		"| orders | 8.0 orders/s | 0.200 of bare | 0.0 / 0.0 / 0.0 ms | 38.0 | 150 | 0.012 |\n"
	if got := r.Table(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(r.String(), "orders: 0 orders in 0s: 8.0 orders/s") {
		t.Errorf("summary:\n%s", r.String())
	}
}
