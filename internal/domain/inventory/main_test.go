package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/devtools/testdb"
)

// The store is tested against a real PostgreSQL (and the cache against a
// real Redis), started once for the package on free ports.
var (
	testPool  *pgxpool.Pool
	testRedis *redis.Client
)

var quiet = slog.New(slog.DiscardHandler)

func TestMain(m *testing.M) {
	// More connections than the default (4 on 2 cores), so concurrent
	// writers really race.
	os.Exit(testdb.Main(m, "inventory", 20, func(ctx context.Context, dir string, pool *pgxpool.Pool) (func(), error) {
		testPool = pool
		rd, err := devstack.StartRedis(ctx, devstack.RedisOptions{DataDir: filepath.Join(dir, "redis"), Logger: quiet})
		if err != nil {
			return nil, fmt.Errorf("start Redis: %w", err)
		}
		testRedis = redis.NewClient(&redis.Options{Addr: rd.Addr()})
		stop := func() {
			testRedis.Close()
			_ = rd.Stop(context.Background())
		}
		for _, w := range []string{"w1", "w2", "w3"} {
			if err := NewStore(testPool).AddWarehouse(ctx, w, "Warehouse "+w); err != nil {
				stop()
				return nil, err
			}
		}
		return stop, nil
	}))
}

var skuSeq atomic.Int64

// newSKU adds a product of its own to the test with the given stock per
// warehouse, received through the ledger, and returns its SKU.
func newSKU(t testing.TB, stock map[string]int) string {
	t.Helper()
	ctx := context.Background()
	s := NewStore(testPool)
	sku := "SKU-" + strconv.FormatInt(skuSeq.Add(1), 10)
	require.NoError(t, s.AddProduct(ctx, Product{SKU: sku, Name: "Test product " + sku, Price: 1000, Currency: "USD"}))
	for wh, qty := range stock {
		_, err := s.Adjust(ctx, Adjustment{SKU: sku, WarehouseID: wh, Delta: qty, Reason: "test stock", Actor: "test"})
		require.NoError(t, err)
	}
	return sku
}

// rows returns a SKU's stock rows by warehouse.
func rows(t testing.TB, sku string) map[string]WarehouseStock {
	t.Helper()
	stock, err := NewStore(testPool).Stock(context.Background(), sku)
	require.NoError(t, err)
	out := map[string]WarehouseStock{}
	for _, r := range stock {
		out[r.WarehouseID] = r
	}
	return out
}

// ledger returns a SKU's events, oldest first.
func ledger(t testing.TB, sku string) []Event {
	t.Helper()
	page, err := NewStore(testPool).Events(context.Background(), sku, 1000, "")
	require.NoError(t, err)
	out := make([]Event, len(page.Events))
	for i, ev := range page.Events {
		out[len(out)-1-i] = ev
	}
	return out
}

func reserveReq(id string, lines ...Line) ReserveRequest {
	return ReserveRequest{ReservationID: id, OrderID: "order-" + id, Lines: lines, ExpiresAt: time.Now().Add(time.Hour), Actor: "test"}
}
