package orders

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ChangesChannel is the PostgreSQL channel on which every write to an
// order's row is announced as "<order id> <customer id>" (migration orders
// 00015).
const ChangesChannel = "order_changes"

// ErrTooManyWaiters is Watch's answer when this process already follows
// as many orders as it may.
var ErrTooManyWaiters = errors.New("orders: too many watchers")

// Changes tells the processes that follow orders (long-polls, streams)
// when one changes, from one LISTEN connection per process instead of one
// query per follower every few milliseconds. While the connection is down
// every watcher is woken every second, so followers read the row as a
// poll would and miss nothing.
type Changes struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	max    int

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
	feeds    map[*Feed]struct{}
	count    int
}

// NewChanges follows pool's order changes for at most max watchers at
// once; Run listens.
func NewChanges(pool *pgxpool.Pool, max int, logger *slog.Logger) *Changes {
	return &Changes{pool: pool, logger: logger, max: max, watchers: map[string]map[chan struct{}]struct{}{},
		feeds: map[*Feed]struct{}{}}
}

// StateID names the state o is in, for followers that resume (a stream's
// Last-Event-ID): the saga's writes are ordered by (updated_at, version)
// and its shipments' counted, so the triple changes with every write and
// never comes back.
func (o Order) StateID() string {
	return strconv.FormatInt(o.UpdatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(o.stateVersion, 10) + "." +
		strconv.FormatInt(o.fulfilmentRevision, 10)
}

// Watch returns a channel that receives (without blocking the sender) when
// order id changes, and the function that stops watching. Subscribe, then
// read the order: a change between the two still wakes the channel.
func (c *Changes) Watch(id string) (<-chan struct{}, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count >= c.max {
		return nil, nil, ErrTooManyWaiters
	}
	ch := make(chan struct{}, 1)
	if c.watchers[id] == nil {
		c.watchers[id] = map[chan struct{}]struct{}{}
	}
	c.watchers[id][ch] = struct{}{}
	c.count++
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.watchers[id][ch]; !ok {
			return
		}
		delete(c.watchers[id], ch)
		if len(c.watchers[id]) == 0 {
			delete(c.watchers, id)
		}
		c.count--
	}, nil
}

// Run listens until ctx ends, reconnecting after a failure.
func (c *Changes) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		c.logger.Warn("order changes: listening failed; followers poll until it is back", "error", err)
		c.pollFor(ctx, 2*time.Second)
	}
}

func (c *Changes) listen(ctx context.Context) error {
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection is not for anyone else: it leaves the pool.
	pgconn := conn.Hijack()
	defer pgconn.Close(context.WithoutCancel(ctx))
	if _, err := pgconn.Exec(ctx, "LISTEN "+ChangesChannel); err != nil {
		return err
	}
	// What changed while nobody listened is read now.
	c.wakeAll()
	for {
		n, err := pgconn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, customer, _ := strings.Cut(n.Payload, " ")
		c.wake(id, customer)
	}
}

// pollFor wakes every watcher each second for d, or until ctx ends.
func (c *Changes) pollFor(ctx context.Context, d time.Duration) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-tick.C:
			c.wakeAll()
		}
	}
}

func (c *Changes) wake(id, customer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.watchers[id] {
		notify(ch)
	}
	for f := range c.feeds {
		if f.customer == "" || f.customer == customer {
			f.add(id)
		}
	}
}

// wakeAll wakes everyone: the changes may have gone unannounced.
func (c *Changes) wakeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, chans := range c.watchers {
		for ch := range chans {
			notify(ch)
		}
	}
	for f := range c.feeds {
		f.lost()
	}
}

// Feed follows every order's changes, for a list stream: the IDs of the
// orders that changed since it was last taken, or word that some changes
// went unannounced (the LISTEN connection was down, or the feed's reader
// fell too far behind), so the reader reads from its last change instead.
type Feed struct {
	// customer is whose orders it follows; "" for every order's.
	customer string
	woken    chan struct{}
	// The fields below are guarded by Changes.mu.
	ids    map[string]struct{}
	resync bool
}

// maxFeedBacklog bounds the IDs a feed keeps for a slow reader; past it,
// the reader resyncs.
const maxFeedBacklog = 1000

// WatchAll returns a feed of the changes of one customer's orders (every
// order's for "") and the function that stops it; a feed counts against
// the watchers' bound as one watcher.
func (c *Changes) WatchAll(customer string) (*Feed, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count >= c.max {
		return nil, nil, ErrTooManyWaiters
	}
	f := &Feed{customer: customer, woken: make(chan struct{}, 1), ids: map[string]struct{}{}}
	c.feeds[f] = struct{}{}
	c.count++
	return f, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.feeds[f]; ok {
			delete(c.feeds, f)
			c.count--
		}
	}, nil
}

// Woken receives (without blocking the sender) when there is something to
// take.
func (f *Feed) Woken() <-chan struct{} { return f.woken }

func (f *Feed) add(id string) {
	if len(f.ids) >= maxFeedBacklog {
		f.lost()
		return
	}
	f.ids[id] = struct{}{}
	notify(f.woken)
}

func (f *Feed) lost() {
	f.resync, f.ids = true, map[string]struct{}{}
	notify(f.woken)
}

// Take returns the IDs of the orders changed since the last Take, or
// resync when they are not all known.
func (c *Changes) Take(f *Feed) (ids []string, resync bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range f.ids {
		ids = append(ids, id)
	}
	resync = f.resync
	f.ids, f.resync = map[string]struct{}{}, false
	return ids, resync
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // already woken
	}
}
