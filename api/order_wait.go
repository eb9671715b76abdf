package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// maxOrderWait bounds GET /api/orders/{id}?wait=&status_not=
// (openapi.yaml): shorter than the server's write timeout.
const maxOrderWait = 25 * time.Second

// longPoll is the wait a GetOrder request asks for, if any.
func longPoll(p GetOrderParams) (wait time.Duration, statusNot orders.Status, asked bool, problem error) {
	if p.Wait == nil && p.StatusNot == nil {
		return 0, "", false, nil
	}
	if p.Wait == nil || p.StatusNot == nil {
		return 0, "", false, httpx.NewProblem(http.StatusBadRequest, "wait and status_not go together: ?wait=20s&status_not=processing")
	}
	wait, err := time.ParseDuration(*p.Wait)
	if err != nil || wait < time.Second || wait > maxOrderWait {
		return 0, "", false, httpx.NewProblem(http.StatusBadRequest, fmt.Sprintf("wait must be a duration from 1s to %s, e.g. 20s", maxOrderWait))
	}
	if !p.StatusNot.Valid() {
		return 0, "", false, httpx.NewProblem(http.StatusBadRequest, "status_not must be an order status, e.g. processing")
	}
	return wait, orders.Status(*p.StatusNot), true, nil
}

// awaitChange returns o once its status is not statusNot, or as it is
// after wait. It watches before it reads, so a change in between still
// wakes it.
func (s *Server) awaitChange(ctx context.Context, o orders.Order, wait time.Duration, statusNot orders.Status) (orders.Order, error) {
	if o.Status != statusNot {
		return o, nil
	}
	changed, stop, err := s.follow(ctx, o.ID)
	if err != nil {
		return o, err
	}
	defer stop()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		cur, err := s.Orders.Get(ctx, o.ID)
		if ctx.Err() != nil { // the client left: nothing it reads
			return o, nil
		}
		if err != nil {
			return o, err
		}
		if cur.Status != statusNot {
			return cur, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return cur, nil
		case <-ctx.Done():
			return cur, nil
		case <-s.followers.ending():
			return cur, nil // the server shuts down: the order as it is
		}
	}
}
