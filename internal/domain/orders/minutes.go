package orders

import (
	"context"
	"slices"
	"time"
)

// Minute is what happened to orders in one minute: how many sagas ended
// there, by outcome, and how long the completed ones took from placed to
// paid (milliseconds), for the operators' charts.
type Minute struct {
	Start    time.Time        `json:"start"`
	Outcomes map[string]int64 `json:"outcomes"`
	// LatencyMS is absent when no order completed in the minute.
	LatencyMS *Percentiles `json:"latency_ms,omitempty"`
}

// Percentiles of a minute's latencies.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// OutcomeCompleted groups the statuses of a saga that completed: an order
// shipped or delivered since still completed in its minute.
const OutcomeCompleted = "completed"

// Minutes returns the minutes since since in which sagas ended, oldest
// first. A saga's end is its last state's time (updated_at, which its
// shipments do not move); changed_at, which is never earlier, lets the
// index find the recent rows.
func (s *Store) Minutes(ctx context.Context, since time.Time) ([]Minute, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT date_trunc('minute', updated_at) AS minute,
			CASE WHEN status IN ('completed', 'shipped', 'delivered') THEN $3 ELSE status END AS outcome,
			count(*),
			percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) * 1000)
		FROM orders.orders
		WHERE changed_at >= $1 AND updated_at >= $1 AND status = ANY($2)
		GROUP BY 1, 2 ORDER BY 1, 2`, since, slices.Concat(FinalStatuses, []Status{StatusNeedsAttention}), OutcomeCompleted)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var minutes []Minute
	for rows.Next() {
		var (
			start   time.Time
			outcome string
			n       int64
			p       []float64
		)
		if err := rows.Scan(&start, &outcome, &n, &p); err != nil {
			return nil, err
		}
		if len(minutes) == 0 || !minutes[len(minutes)-1].Start.Equal(start) {
			minutes = append(minutes, Minute{Start: start, Outcomes: map[string]int64{}})
		}
		m := &minutes[len(minutes)-1]
		m.Outcomes[outcome] = n
		if outcome == OutcomeCompleted && len(p) == 3 {
			m.LatencyMS = &Percentiles{P50: p[0], P95: p[1], P99: p[2]}
		}
	}
	return minutes, rows.Err()
}
