package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// The bounds of GET /api/orders/{id}?wait=&status_not= (openapi.yaml): a
// wait shorter than the server's write timeout, and so many at once per
// user: a person's tabs, or a load generator's clients signed in as one.
const (
	maxOrderWait    = 25 * time.Second
	maxWaitsPerUser = 64
)

// waitSlots counts each user's long-polls in progress on this replica.
type waitSlots struct {
	mu     sync.Mutex
	byUser map[string]int
}

func (w *waitSlots) acquire(user string) (release func(), ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byUser == nil {
		w.byUser = map[string]int{}
	}
	if w.byUser[user] >= maxWaitsPerUser {
		return nil, false
	}
	w.byUser[user]++
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.byUser[user]--; w.byUser[user] == 0 {
			delete(w.byUser, user)
		}
	}, true
}

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

// follow acquires one of the caller's follower slots and watches order id
// for changes: what a long-poll and a stream hold while they wait. stop
// gives both back.
func (s *Server) follow(ctx context.Context, id string) (changed <-chan struct{}, stop func(), err error) {
	caller, _ := auth.FromContext(ctx)
	release, ok := s.waits.acquire(caller.UserID)
	if !ok {
		p := httpx.NewProblem(http.StatusTooManyRequests, fmt.Sprintf("at most %d long-polls and streams at once per user", maxWaitsPerUser))
		p.RetryAfter = 1
		return nil, nil, p
	}
	if s.Changes == nil {
		release()
		return nil, nil, httpx.NewProblem(http.StatusServiceUnavailable, "this replica does not follow order changes; read the order without wait")
	}
	changed, unwatch, err := s.Changes.Watch(id)
	if err != nil { // orders.ErrTooManyWaiters
		release()
		p := httpx.NewProblem(http.StatusServiceUnavailable, "this replica follows as many orders as it can; retry, or read the order without wait")
		p.RetryAfter = 1
		return nil, nil, p
	}
	return changed, func() { unwatch(); release() }, nil
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
		}
	}
}
