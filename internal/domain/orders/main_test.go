package orders_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/devtools/testdb"
)

// The store is tested against a real PostgreSQL, started once for the
// package: what moves an order rests on its row lock.
var testPool *pgxpool.Pool

func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, "orders", 0, func(_ context.Context, _ string, pool *pgxpool.Pool) (func(), error) {
		testPool = pool
		return nil, nil
	}))
}
