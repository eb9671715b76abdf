package users_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/devtools/testdb"
)

// The store is tested against a real PostgreSQL, started once for the
// package: the refresh token rules rest on its row locks.
var testPool *pgxpool.Pool

func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, "users", 0, func(_ context.Context, _ string, pool *pgxpool.Pool) (func(), error) {
		testPool = pool
		return nil, nil
	}))
}
