package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// The followers (long-polls and streams) one replica holds at once, beside
// orders.Changes' bound on them all: a user's tabs, or a load generator's
// clients signed in as one; and per client address, so that accounts made
// by the dozen cannot take a replica's every slot for the five minutes a
// stream lasts.
const (
	maxFollowersPerUser    = 64
	maxFollowersPerAddress = 256
)

// followers counts the long-polls and streams in progress on this replica,
// by user and by client address, and ends them when the server shuts down.
type followers struct {
	mu     sync.Mutex
	byKey  map[string]int
	end    chan struct{}
	made   sync.Once // makes end
	closed sync.Once // closes it
}

// acquire takes a slot for user at addr, unless either has all its own.
func (f *followers) acquire(user, addr string) (release func(), problem error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byKey == nil {
		f.byKey = map[string]int{}
	}
	userKey, addrKey := "user:"+user, "addr:"+addr
	var limit string
	switch {
	case f.byKey[userKey] >= maxFollowersPerUser:
		limit = fmt.Sprintf("at most %d long-polls and streams at once per user", maxFollowersPerUser)
	case f.byKey[addrKey] >= maxFollowersPerAddress:
		limit = fmt.Sprintf("at most %d long-polls and streams at once per client address", maxFollowersPerAddress)
	}
	if limit != "" {
		p := httpx.NewProblem(http.StatusTooManyRequests, limit)
		p.RetryAfter = 1
		return nil, p
	}
	f.byKey[userKey]++
	f.byKey[addrKey]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, k := range []string{userKey, addrKey} {
			if f.byKey[k]--; f.byKey[k] == 0 {
				delete(f.byKey, k)
			}
		}
	}, nil
}

// ending is closed once the server shuts down.
func (f *followers) ending() <-chan struct{} {
	f.made.Do(func() { f.end = make(chan struct{}) })
	return f.end
}

// EndFollowers answers every long-poll with the order as it is and ends
// every stream (their clients resume elsewhere, from Last-Event-ID), so a
// shutdown drains in moments instead of waiting its whole timeout: register
// it with http.Server.RegisterOnShutdown.
func (s *Server) EndFollowers() {
	s.followers.ending()
	s.followers.closed.Do(func() { close(s.followers.end) })
}

// follow takes one of the caller's follower slots and watches order id for
// changes: what a long-poll and a stream hold while they wait. stop gives
// both back.
func (s *Server) follow(ctx context.Context, id string) (changed <-chan struct{}, stop func(), err error) {
	release, err := s.followerSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	changed, unwatch, err := s.Changes.Watch(id)
	if err != nil { // orders.ErrTooManyWaiters
		release()
		return nil, nil, tooManyFollowed()
	}
	return changed, func() { unwatch(); release() }, nil
}

// followAll takes one of the caller's follower slots and a feed of the
// changes of customer's orders (every order's for ""): what a list stream
// holds.
func (s *Server) followAll(ctx context.Context, customer string) (feed *orders.Feed, stop func(), err error) {
	release, err := s.followerSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	feed, unwatch, err := s.Changes.WatchAll(customer)
	if err != nil {
		release()
		return nil, nil, tooManyFollowed()
	}
	return feed, func() { unwatch(); release() }, nil
}

// followerSlot takes one of the caller's follower slots on a replica that
// follows changes.
func (s *Server) followerSlot(ctx context.Context) (release func(), err error) {
	caller, _ := auth.FromContext(ctx)
	release, err = s.followers.acquire(caller.UserID, clientAddr(ctx).String())
	if err != nil {
		return nil, err
	}
	if s.Changes == nil {
		release()
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "this replica does not follow order changes; read the order without wait")
	}
	return release, nil
}

func tooManyFollowed() error {
	p := httpx.NewProblem(http.StatusServiceUnavailable, "this replica follows as many orders as it can; retry, or read the order without wait")
	p.RetryAfter = 1
	return p
}
