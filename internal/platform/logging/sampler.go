package logging

import (
	"sync/atomic"
	"time"
)

// Sampler lets one message through per interval, so a dependency that is
// down for minutes writes a few lines, not one per request; a metric counts
// the rest.
type Sampler struct {
	Every time.Duration
	last  atomic.Int64 // unix nanoseconds of the last message let through
}

// Allow reports whether a message may be logged now.
func (s *Sampler) Allow() bool {
	now := time.Now().UnixNano()
	last := s.last.Load()
	return now-last >= int64(s.Every) && s.last.CompareAndSwap(last, now)
}
