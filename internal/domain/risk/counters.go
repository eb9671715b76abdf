package risk

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counters keep, per customer and per card, the orders and the declined
// payments of the last window in Redis sorted sets: one member per order
// ID, scored by its time. Adding an order again changes nothing, so a
// retried assessment or decline counts once; counting up to the order's own
// time makes a retried assessment count what the first one did.
type Counters struct {
	rdb redis.UniversalClient
}

// NewCounters returns counters kept in rdb.
func NewCounters(rdb redis.UniversalClient) *Counters { return &Counters{rdb: rdb} }

// counted is one order's sorted sets: the key of each counter signal.
func counted(o Order) map[Signal]string {
	keys := map[Signal]string{}
	if o.CustomerID != "" {
		keys[CustomerOrders] = "risk:orders:customer:" + o.CustomerID
		keys[CustomerFailedPayments] = "risk:declines:customer:" + o.CustomerID
	}
	if o.CardToken != "" {
		card := cardKey(o.CardToken)
		keys[CardOrders] = "risk:orders:card:" + card
		keys[CardFailedPayments] = "risk:declines:card:" + card
	}
	return keys
}

// Measure adds the order to its order counters and returns every signal of
// the order, the four counts within window up to its time included. When
// Redis fails, the counts are missing and CountersUnavailable is 1: an
// assessment must not stop orders while Redis is down.
func (c *Counters) Measure(ctx context.Context, o Order, window time.Duration) (Values, error) {
	v := o.values()
	v[CountersUnavailable] = 0
	keys := counted(o)
	at := o.PlacedAt.UnixMilli()
	from, to := strconv.FormatInt(o.PlacedAt.Add(-window).UnixMilli(), 10), strconv.FormatInt(at, 10)
	counts := map[Signal]*redis.IntCmd{}
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for signal, key := range keys {
			if signal == CustomerOrders || signal == CardOrders {
				p.ZAdd(ctx, key, redis.Z{Score: float64(at), Member: o.OrderID})
			}
			// Older members go, and the key with its last member.
			p.ZRemRangeByScore(ctx, key, "-inf", "("+from)
			counts[signal] = p.ZCount(ctx, key, from, to)
			p.Expire(ctx, key, window+time.Minute)
		}
		return nil
	})
	if err != nil {
		v[CountersUnavailable] = 1
		return v, err
	}
	for signal, n := range counts {
		v[signal] = float64(n.Val())
	}
	return v, nil
}

// RecordDecline counts a declined authorization of the order at time at,
// for its customer and its card.
func (c *Counters) RecordDecline(ctx context.Context, o Order, at time.Time, window time.Duration) error {
	keys := counted(o)
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, signal := range []Signal{CustomerFailedPayments, CardFailedPayments} {
			if key, ok := keys[signal]; ok {
				p.ZAdd(ctx, key, redis.Z{Score: float64(at.UnixMilli()), Member: o.OrderID})
				p.Expire(ctx, key, window+time.Minute)
			}
		}
		return nil
	})
	return err
}
