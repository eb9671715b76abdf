package inventory

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func cachedStore() *Store { return NewStore(testPool, WithCache(NewCache(testRedis, quiet))) }

func totals(t *testing.T, s *Store, sku string) StockTotals {
	t.Helper()
	level, err := s.StockLevel(context.Background(), sku)
	require.NoError(t, err)
	return level.Totals
}

func TestStockLevelIsCachedAndEveryChangeInvalidatesIt(t *testing.T) {
	ctx := context.Background()
	s := cachedStore()
	sku := newSKU(t, map[string]int{"w1": 5, "w2": 3})

	level, err := s.StockLevel(ctx, sku)
	require.NoError(t, err)
	require.Equal(t, StockTotals{OnHand: 8, Reserved: 0, Available: 8}, level.Totals)
	require.Len(t, level.Warehouses, 2)

	// A change behind the store's back is not seen: the read was cached.
	_, err = testPool.Exec(ctx, `UPDATE inventory.stock SET on_hand = on_hand + 100 WHERE sku = $1 AND warehouse_id = 'w1'`, sku)
	require.NoError(t, err)
	require.Equal(t, 8, totals(t, s, sku).OnHand, "served from Redis")
	_, err = testPool.Exec(ctx, `UPDATE inventory.stock SET on_hand = on_hand - 100 WHERE sku = $1 AND warehouse_id = 'w1'`, sku)
	require.NoError(t, err)

	// Every change through the store is seen by the very next read.
	_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w2", Delta: 2, Reason: "restock", Actor: "test"})
	require.NoError(t, err)
	require.Equal(t, StockTotals{OnHand: 10, Reserved: 0, Available: 10}, totals(t, s, sku))
	_, err = s.Reserve(ctx, reserveReq("res-"+sku+"-a", Line{SKU: sku, Quantity: 4}))
	require.NoError(t, err)
	require.Equal(t, StockTotals{OnHand: 10, Reserved: 4, Available: 6}, totals(t, s, sku))
	require.NoError(t, s.Commit(ctx, "res-"+sku+"-a", "test"))
	require.Equal(t, StockTotals{OnHand: 6, Reserved: 0, Available: 6}, totals(t, s, sku))
	_, err = s.Reserve(ctx, reserveReq("res-"+sku+"-b", Line{SKU: sku, Quantity: 1}))
	require.NoError(t, err)
	require.Equal(t, 1, totals(t, s, sku).Reserved)
	require.NoError(t, s.Release(ctx, Release{ReservationID: "res-" + sku + "-b", Actor: "test"}))
	require.Equal(t, StockTotals{OnHand: 6, Reserved: 0, Available: 6}, totals(t, s, sku))
}

// A read that loaded the stock just before a change must not put that old
// stock in the cache after the change invalidated it.
func TestAReadRacingAChangeDoesNotCacheStaleStock(t *testing.T) {
	ctx := context.Background()
	s := cachedStore()
	sku := newSKU(t, map[string]int{"w1": 5})

	raced := func(ctx context.Context, sku string) (StockLevel, error) {
		old, err := s.loadStockLevel(ctx, sku)
		require.NoError(t, err)
		_, err = s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: 1, Reason: "restock", Actor: "test"})
		require.NoError(t, err)
		return old, nil
	}
	stale, err := s.cache.stockLevel(ctx, sku, raced)
	require.NoError(t, err)
	require.Equal(t, 5, stale.Totals.OnHand, "the racing read itself returns what it loaded")

	require.Equal(t, 6, totals(t, s, sku).OnHand, "but the next read sees the change")
}

func TestWithoutRedisReadsGoToPostgreSQLAndChangesSayTheCacheIsStale(t *testing.T) {
	ctx := context.Background()
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer down.Close()
	s := NewStore(testPool, WithCache(NewCache(down, quiet)))
	sku := newSKU(t, map[string]int{"w1": 5})

	require.Equal(t, 5, totals(t, s, sku).OnHand)
	_, err := s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: "w1", Delta: 1, Reason: "restock", Actor: "test", IdempotencyKey: "k-" + sku})
	require.ErrorIs(t, err, ErrCacheNotInvalidated, "so that the caller retries")
	require.Equal(t, 6, rows(t, sku)["w1"].OnHand, "the change itself committed")
}
