package loadgen

import (
	"slices"
	"time"
)

// Latencies are the percentiles of a phase's successful units.
type Latencies struct {
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// percentiles takes the nearest rank at or below each percentile, so a
// small run's p99 is a latency it measured rather than an interpolation.
func percentiles(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	d = slices.Sorted(slices.Values(d))
	at := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))] }
	return Latencies{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: d[len(d)-1]}
}

// ratio is a/b, 0 when b is 0 (a phase that did not run or did nothing).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
