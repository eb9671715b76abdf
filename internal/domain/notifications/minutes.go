package notifications

import (
	"context"
	"time"
)

// DeliveryMinute is the calls to providers that finished in one minute, by
// channel and outcome (sent, failed, interrupted), for the operators'
// charts.
type DeliveryMinute struct {
	Start    time.Time                   `json:"start"`
	Channels map[string]map[string]int64 `json:"channels"`
}

// DeliveryMinutes returns the minutes since since in which calls to
// providers finished, oldest first.
func (s *Store) DeliveryMinutes(ctx context.Context, since time.Time) ([]DeliveryMinute, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT date_trunc('minute', finished_at), channel, status, count(*)
		FROM notifications.attempts WHERE finished_at >= $1
		GROUP BY 1, 2, 3 ORDER BY 1`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var minutes []DeliveryMinute
	for rows.Next() {
		var (
			start           time.Time
			channel, status string
			n               int64
		)
		if err := rows.Scan(&start, &channel, &status, &n); err != nil {
			return nil, err
		}
		if len(minutes) == 0 || !minutes[len(minutes)-1].Start.Equal(start) {
			minutes = append(minutes, DeliveryMinute{Start: start, Channels: map[string]map[string]int64{}})
		}
		m := &minutes[len(minutes)-1]
		if m.Channels[channel] == nil {
			m.Channels[channel] = map[string]int64{}
		}
		m.Channels[channel][status] = n
	}
	return minutes, rows.Err()
}
