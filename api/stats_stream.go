package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// statsEvery is how often the stats stream sends the figures.
const statsEvery = 5 * time.Second

// StreamStats is GET /api/streams/stats (admin): the figures of GetStats,
// pushed every statsEvery, for the dashboard's charts.
func (s *Server) StreamStats(ctx context.Context, _ StreamStatsRequestObject) (StreamStatsResponseObject, error) {
	release, err := s.followerSlot(ctx)
	if err != nil {
		return nil, err
	}
	first, err := s.stats(ctx)
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
		if stats, err = st.s.stats(st.ctx); err != nil {
			// Temporal or the database away: the client reconnects, and
			// its GET says why.
			if st.ctx.Err() == nil {
				st.s.Logger.WarnContext(st.ctx, "could not read the figures; ending the stats stream", "error", err)
			}
			return nil
		}
	}
}
