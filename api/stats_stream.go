package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// statsEvery is how often the stats stream sends the figures.
const statsEvery = 5 * time.Second

// sharedStats are the figures every stats stream of a replica sends, read
// once per statsEvery by whichever stream asks first: a dozen admins'
// tabs cost the database and Temporal what one does.
type sharedStats struct {
	mu   sync.Mutex
	read time.Time
	last Stats
}

// streamStats returns the replica's figures, read again when they are
// about as old as the streams' period.
func (s *Server) streamStats(ctx context.Context) (Stats, error) {
	c := &s.streamedStats
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.read) < statsEvery-statsEvery/5 {
		return c.last, nil
	}
	stats, err := s.stats(ctx)
	if err != nil {
		return stats, err
	}
	c.last, c.read = stats, time.Now()
	return stats, nil
}

// StreamStats is GET /api/streams/stats (admin): the figures of GetStats,
// pushed every statsEvery, for the dashboard's charts; the replica's
// streams share one read of them.
func (s *Server) StreamStats(ctx context.Context, _ StreamStatsRequestObject) (StreamStatsResponseObject, error) {
	release, err := s.followerSlot(ctx)
	if err != nil {
		return nil, err
	}
	first, err := s.streamStats(ctx)
	if err != nil {
		release()
		return nil, err
	}
	return statsStream{s: s, ctx: ctx, first: first, release: release}, nil
}

type statsStream struct {
	s       *Server
	ctx     context.Context
	first   Stats
	release func()
}

func (st statsStream) VisitStreamStatsResponse(w http.ResponseWriter) error {
	defer st.release()
	es := openEventStream(st.ctx, st.s, w)
	if es == nil {
		return nil
	}
	defer es.close()
	tick := time.NewTicker(statsEvery)
	defer tick.Stop()
	stats := st.first
	for {
		body, err := json.Marshal(stats)
		if err != nil {
			st.s.Logger.ErrorContext(st.ctx, "could not encode the figures", "error", err)
			return nil
		}
		if !es.send("event: stats\ndata: "+string(body)+"\n\n") || !awaitEvent(es, tick.C) {
			return nil
		}
		if stats, err = st.s.streamStats(st.ctx); err != nil {
			// Temporal or the database away: the client reconnects, and
			// its GET says why.
			if st.ctx.Err() == nil {
				st.s.Logger.WarnContext(st.ctx, "could not read the figures; ending the stats stream", "error", err)
			}
			return nil
		}
	}
}
