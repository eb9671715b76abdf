package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// The shape of GET /api/orders/{id}/stream (openapi.yaml).
const (
	// streamHeartbeat is shorter than the idle timeouts of common proxies
	// (nginx's 60 s), so an order that waits for an approval keeps its
	// stream.
	streamHeartbeat = 15 * time.Second
	// streamLifetime bounds one stream; the client reconnects with
	// Last-Event-ID, which spreads long-lived followers across replicas
	// as they are rolled or scaled.
	streamLifetime = 5 * time.Minute
	// streamRetry is what EventSource waits before it reconnects.
	streamRetry = 2 * time.Second
	// streamWriteTimeout bounds each write, which moves the server's write
	// timeout on: a write stalls once a client that stopped reading has
	// filled its socket's buffers, and then the stream ends.
	streamWriteTimeout = 10 * time.Second
	// maxEventIDLength is Last-Event-ID's documented bound; ours are about 35.
	maxEventIDLength = 64
)

// StreamOrder is GET /api/orders/{id}/stream.
func (s *Server) StreamOrder(ctx context.Context, req StreamOrderRequestObject) (StreamOrderResponseObject, error) {
	last := deref(req.Params.LastEventID)
	if len(last) > maxEventIDLength {
		return nil, httpx.NewProblem(http.StatusBadRequest, fmt.Sprintf("Last-Event-ID must be at most %d characters: an id: of this stream", maxEventIDLength))
	}
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if last == o.StateID() && o.Settled() {
		return StreamOrder204Response{}, nil // EventSource stops on a 204
	}
	changed, stop, err := s.follow(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	// Read again now that it is watched: a change since the first read
	// was not announced to us.
	if o, err = s.Orders.Get(ctx, o.ID); err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, nil // the client left
		}
		return nil, fail("could not read the order", err, "order_id", req.Id)
	}
	return orderStream{s: s, ctx: ctx, order: o, last: last, changed: changed, stop: stop}, nil
}

// orderStream writes the stream once the order is found and followed: the
// generated text/event-stream response copies a reader, which could not
// wait on changes, heartbeats and the client at once.
type orderStream struct {
	s       *Server
	ctx     context.Context
	order   orders.Order
	last    string // the client's Last-Event-ID
	changed <-chan struct{}
	stop    func()
}

func (st orderStream) VisitStreamOrderResponse(w http.ResponseWriter) error {
	defer st.stop()
	es := openEventStream(st.ctx, st.s, w)
	if es == nil {
		return nil
	}
	defer es.close()
	cur, last := st.order, st.last
	for {
		if id := cur.StateID(); id != last {
			event, err := orderEvent(id, forCaller(st.ctx, cur))
			if err != nil {
				st.s.Logger.ErrorContext(st.ctx, "could not encode an order event", "order_id", cur.ID, "error", err)
				return nil
			}
			if !es.send(event) {
				return nil
			}
			last = id
		}
		if cur.Settled() || !awaitEvent(es, st.changed) {
			return nil
		}
		next, err := st.s.Orders.Get(st.ctx, cur.ID)
		if st.ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// The client reconnects with Last-Event-ID and misses nothing.
			st.s.Logger.WarnContext(st.ctx, "could not read a followed order; ending its stream", "order_id", cur.ID, "error", err)
			return nil
		}
		cur = next
	}
}

// eventStream is an open text/event-stream answer, with the bounds every
// stream of the API keeps: a heartbeat, a lifetime, and an end when the
// server shuts down (its client resumes on another replica).
type eventStream struct {
	ctx       context.Context
	s         *Server
	send      func(text string) bool // false once the client has gone
	heartbeat *time.Ticker
	lifetime  *time.Timer
}

// openEventStream answers 200 with a text/event-stream and its retry
// delay; nil when the client has gone already. Each write moves the
// server's write timeout on.
func openEventStream(ctx context.Context, s *Server, w http.ResponseWriter) *eventStream {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx would buffer the events
	w.WriteHeader(http.StatusOK)
	send := func(text string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := io.WriteString(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(fmt.Sprintf("retry: %d\n\n", streamRetry.Milliseconds())) {
		return nil
	}
	return &eventStream{ctx: ctx, s: s, send: send, heartbeat: time.NewTicker(streamHeartbeat), lifetime: time.NewTimer(streamLifetime)}
}

func (es *eventStream) close() {
	es.heartbeat.Stop()
	es.lifetime.Stop()
}

// awaitEvent waits for wake, sending heartbeats meanwhile: false once the
// stream is over (the client left, its lifetime ended, the server shuts
// down).
func awaitEvent[T any](es *eventStream, wake <-chan T) bool {
	for {
		select {
		case <-es.ctx.Done():
			return false
		case <-es.lifetime.C:
			return false
		case <-es.s.followers.ending():
			return false
		case <-es.heartbeat.C:
			if !es.send(": heartbeat\n\n") {
				return false
			}
		case <-wake:
			return true
		}
	}
}

// orderEvent is one server-sent event of the order as GET /api/orders/{id}
// shows it; JSON holds no raw newline, so one data line carries it.
func orderEvent(id string, o orders.Order) (string, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return "", err
	}
	return "id: " + id + "\nevent: order\ndata: " + string(body) + "\n\n", nil
}
