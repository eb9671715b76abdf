package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// cacheTTL bounds how long an entry lives without a read refreshing it; it
// is a memory bound, not what keeps entries fresh (invalidation does that).
const cacheTTL = 10 * time.Minute

// Cache keeps stock levels in Redis, cache-aside: reads try Redis, fall back
// to PostgreSQL and fill the entry; every committed change invalidates it
// before the change is acknowledged, so a read that starts after a change
// returned never sees the stock from before it.
//
// Plain "delete on write" has a race: a reader that loaded the old row just
// before a write can store it just after the write's delete, and it stays
// stale. So each SKU has a generation counter that every change increments,
// and an entry is tagged with the generation read before it was loaded: it
// counts only while that generation is current, so an entry loaded before a
// change is dead the moment the change increments the counter, whenever it
// is stored. (Counters have no TTL and entries do: under a volatile-*
// maxmemory policy Redis evicts entries, never counters.)
type Cache struct {
	rdb    redis.UniversalClient
	logger *slog.Logger
}

// NewCache returns a stock cache on rdb. When Redis fails, reads go to
// PostgreSQL (logged) and changes fail (so they are retried).
func NewCache(rdb redis.UniversalClient, logger *slog.Logger) *Cache {
	return &Cache{rdb: rdb, logger: logger}
}

// The braces are a Redis Cluster hash tag: a SKU's keys share a slot, so
// one MGET reads both.
func levelKey(sku string) string      { return "inventory:stock:{" + sku + "}" }
func generationKey(sku string) string { return levelKey(sku) + ":gen" }

type cachedLevel struct {
	Generation int64      `json:"gen"`
	Level      StockLevel `json:"level"`
}

func (c *Cache) stockLevel(ctx context.Context, sku string, load func(context.Context, string) (StockLevel, error)) (StockLevel, error) {
	vals, err := c.rdb.MGet(ctx, generationKey(sku), levelKey(sku)).Result()
	var gen int64
	if err == nil {
		gen, err = generation(vals[0])
	}
	if err != nil {
		c.logger.WarnContext(ctx, "stock cache unavailable; reading PostgreSQL", "sku", sku, "error", err)
		return load(ctx, sku)
	}
	if raw, ok := vals[1].(string); ok {
		var cached cachedLevel
		if json.Unmarshal([]byte(raw), &cached) == nil && cached.Generation == gen {
			return cached.Level, nil
		}
	}
	level, err := load(ctx, sku)
	if err != nil {
		return level, err
	}
	raw, err := json.Marshal(cachedLevel{Generation: gen, Level: level})
	if err != nil {
		return level, err
	}
	if err := c.rdb.Set(ctx, levelKey(sku), raw, cacheTTL).Err(); err != nil {
		c.logger.WarnContext(ctx, "could not fill the stock cache", "sku", sku, "error", err)
	}
	return level, nil
}

// generation parses a generation counter as MGET returns it (nil: never changed).
func generation(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("stock cache: corrupt generation counter " + strconv.Quote(s))
	}
	return n, nil
}

// invalidate moves each SKU to a new generation, which makes its entry
// stale, and deletes the entry to free the memory at once.
func (c *Cache) invalidate(ctx context.Context, skus ...string) error {
	if len(skus) == 0 {
		return nil
	}
	pipe := c.rdb.Pipeline()
	for _, sku := range skus {
		pipe.Incr(ctx, generationKey(sku))
		pipe.Del(ctx, levelKey(sku))
	}
	_, err := pipe.Exec(ctx)
	return err
}
