package risk_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/domain/risk"
)

// The counters in a real Redis: their guarantees (a member per order, the
// window) are Redis's sorted sets, which a fake would assume.
func TestCounters(t *testing.T) {
	ctx := context.Background()
	rd, err := devstack.StartRedis(ctx, devstack.RedisOptions{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rd.Stop(context.Background()) })
	rdb := redis.NewClient(&redis.Options{Addr: rd.Addr()})
	t.Cleanup(func() { rdb.Close() })
	counters := risk.NewCounters(rdb)
	const window = time.Hour
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	order := func(id, customer, card string, at time.Time) risk.Order {
		return risk.Order{OrderID: id, CustomerID: customer, CardToken: card, Total: 1000, PlacedAt: at,
			AccountCreatedAt: start.Add(-48 * time.Hour)}
	}

	a := order("o1", "alice", "tok_a", start)
	v, err := counters.Measure(ctx, a, window)
	require.NoError(t, err)
	require.Equal(t, risk.Values{risk.OrderTotal: 1000, risk.AccountAgeHours: 48, risk.ContactOverride: 0, risk.CountersUnavailable: 0,
		risk.CustomerOrders: 1, risk.CardOrders: 1, risk.CustomerFailedPayments: 0, risk.CardFailedPayments: 0}, v)

	t.Run("a retried assessment counts its order once", func(t *testing.T) {
		v, err := counters.Measure(ctx, a, window)
		require.NoError(t, err)
		require.EqualValues(t, 1, v[risk.CustomerOrders])
		require.EqualValues(t, 1, v[risk.CardOrders])
	})
	t.Run("declines count per customer and per card, once per order", func(t *testing.T) {
		require.NoError(t, counters.RecordDecline(ctx, a, start.Add(time.Second), window))
		require.NoError(t, counters.RecordDecline(ctx, a, start.Add(time.Second), window))
		// Bob pays with Alice's card.
		v, err := counters.Measure(ctx, order("o2", "bob", "tok_a", start.Add(time.Minute)), window)
		require.NoError(t, err)
		require.EqualValues(t, 1, v[risk.CustomerOrders])
		require.EqualValues(t, 0, v[risk.CustomerFailedPayments])
		require.EqualValues(t, 2, v[risk.CardOrders])
		require.EqualValues(t, 1, v[risk.CardFailedPayments])
	})
	t.Run("orders older than the window are not counted", func(t *testing.T) {
		v, err := counters.Measure(ctx, order("o3", "alice", "tok_b", start.Add(window+2*time.Second)), window)
		require.NoError(t, err)
		require.EqualValues(t, 1, v[risk.CustomerOrders], "o1 is out of the window")
		require.EqualValues(t, 0, v[risk.CustomerFailedPayments])
		require.EqualValues(t, 1, v[risk.CardOrders], "a new card")
		ttl, err := rdb.TTL(ctx, "risk:orders:customer:alice").Result()
		require.NoError(t, err)
		require.True(t, ttl > 0 && ttl <= window+time.Minute, "ttl %s", ttl)
	})
	t.Run("the card is kept hashed", func(t *testing.T) {
		keys, err := rdb.Keys(ctx, "risk:*").Result()
		require.NoError(t, err)
		for _, k := range keys {
			require.NotContains(t, k, "tok_")
		}
	})
	t.Run("without Redis the counts are missing, not zero", func(t *testing.T) {
		down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
		defer down.Close()
		v, err := risk.NewCounters(down).Measure(ctx, order("o4", "alice", "tok_a", start), window)
		require.Error(t, err)
		require.Equal(t, risk.Values{risk.OrderTotal: 1000, risk.AccountAgeHours: 48, risk.ContactOverride: 0, risk.CountersUnavailable: 1}, v)
	})
}
