package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// The shape of GET /api/streams/orders, beside the order stream's
// (order_stream.go).
const (
	// listStreamBatch is how many orders one read of a catch-up takes.
	listStreamBatch = 200
	// listStreamCoalesce gathers the changes that come in a burst into one
	// read.
	listStreamCoalesce = 100 * time.Millisecond
	// maxListStreamResume is how far back a stream resumes; a client away
	// longer is told to read its list again (event: reset) instead of being
	// sent every change since.
	maxListStreamResume = 10 * time.Minute
)

// StreamOrders is GET /api/streams/orders: the caller's orders as they
// change.
func (s *Server) StreamOrders(ctx context.Context, req StreamOrdersRequestObject) (StreamOrdersResponseObject, error) {
	last := deref(req.Params.LastEventID)
	var resumeAt time.Time
	if last != "" {
		micros, err := strconv.ParseInt(last, 10, 64)
		if err != nil || len(last) > maxEventIDLength {
			return nil, httpx.NewProblem(http.StatusBadRequest, "Last-Event-ID must be an id: of this stream")
		}
		resumeAt = time.UnixMicro(micros)
	}
	customer, err := customerScope(ctx, req.Params.CustomerId)
	if err != nil {
		return nil, err
	}
	feed, stop, err := s.followAll(ctx, customer)
	if err != nil {
		return nil, err
	}
	// Watched first, then placed: a change from now on is either announced
	// or read by the catch-up.
	now, err := s.Orders.Clock(ctx)
	if err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, nil // the client left
		}
		return nil, fail("could not read the database's clock", err)
	}
	st := listStream{s: s, ctx: ctx, filter: orders.ChangeFilter{CustomerID: customer}, feed: feed, stop: stop, at: now}
	switch {
	case resumeAt.IsZero():
	case now.Sub(resumeAt) > maxListStreamResume, resumeAt.After(now):
		// Too old to catch up from, or ahead of the database's clock (a
		// forged id, a failover to a server whose clock is behind), which
		// would skip everything until then: read the list again.
		st.reset = true
	default:
		st.at = resumeAt
	}
	return st, nil
}

// listStream writes the list stream once it is followed: the orders that
// changed since its place, then each change as it is announced.
type listStream struct {
	s      *Server
	ctx    context.Context
	filter orders.ChangeFilter
	feed   *orders.Feed
	stop   func()
	// at is the stream's place: the latest ChangedAt sent, or where it
	// started.
	at time.Time
	// reset tells the client to read its list again: its place was too old.
	reset bool
}

func (st listStream) VisitStreamOrdersResponse(w http.ResponseWriter) error {
	defer st.stop()
	es := openEventStream(st.ctx, st.s, w)
	if es == nil {
		return nil
	}
	defer es.close()
	place := "id: " + strconv.FormatInt(st.at.UnixMicro(), 10) + "\n"
	if st.reset {
		place += "event: reset\ndata: {}\n"
	}
	if !es.send(place + "\n") {
		return nil
	}
	catchUp := true
	for {
		var ok bool
		if catchUp {
			ok = st.catchUp(es.send)
		} else {
			ids, resync := st.s.Changes.Take(st.feed)
			if resync {
				catchUp = true
				continue
			}
			ok = st.sendChanged(es.send, ids)
		}
		catchUp = false
		if !ok || !awaitEvent(es, st.feed.Woken()) {
			return nil
		}
		select { // a burst of changes is read at once
		case <-st.ctx.Done():
			return nil
		case <-time.After(listStreamCoalesce):
		}
	}
}

// catchUp sends the orders changed since a little before the stream's
// place, page by page. Its false means the stream is over.
func (st *listStream) catchUp(send func(string) bool) bool {
	at, after := st.at.Add(-orders.ChangesOverlap), ""
	for {
		list, err := st.s.Orders.ChangedAfter(st.ctx, st.filter, at, after, listStreamBatch)
		if err != nil {
			return st.readFailed(err)
		}
		if !st.sendOrders(send, list) {
			return false
		}
		if len(list) < listStreamBatch {
			return true
		}
		at, after = list[len(list)-1].ChangedAt, list[len(list)-1].ID
	}
}

// sendChanged sends the stream's orders among those announced as changed.
func (st *listStream) sendChanged(send func(string) bool, ids []string) bool {
	if len(ids) == 0 {
		return true
	}
	list, err := st.s.Orders.Changed(st.ctx, st.filter, ids)
	if err != nil {
		return st.readFailed(err)
	}
	return st.sendOrders(send, list)
}

func (st *listStream) sendOrders(send func(string) bool, list []orders.Order) bool {
	for _, o := range list {
		if o.ChangedAt.After(st.at) {
			st.at = o.ChangedAt
		}
		event, err := orderEvent(strconv.FormatInt(st.at.UnixMicro(), 10), forCaller(st.ctx, o))
		if err != nil {
			st.s.Logger.ErrorContext(st.ctx, "could not encode an order event", "order_id", o.ID, "error", err)
			return false
		}
		if !send(event) {
			return false
		}
	}
	return true
}

// readFailed ends the stream on a failed read: the client reconnects with
// Last-Event-ID and misses nothing.
func (st *listStream) readFailed(err error) bool {
	if st.ctx.Err() == nil {
		st.s.Logger.WarnContext(st.ctx, "could not read changed orders; ending the list stream", "error", err)
	}
	return false
}
