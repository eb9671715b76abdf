package devstack

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestPostgresKeepsDataAcrossRestartAndNewStart(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	opts := PostgresOptions{
		DataDir:  filepath.Join(t.TempDir(), "postgres"),
		User:     "orderflow",
		Password: "p@ss/word:with?specials", // must survive URL encoding
		Database: "orders",
		Fast:     true,
		Logger:   testLogger(t),
	}
	pg, err := StartPostgres(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, pg.Stop)

	execSQL(t, ctx, pg.URL(), "CREATE TABLE orders (id text PRIMARY KEY)")
	execSQL(t, ctx, pg.URL(), "INSERT INTO orders VALUES ('order-1')")

	require.NoError(t, pg.Restart(ctx))
	require.Equal(t, []string{"order-1"}, orderIDs(t, ctx, pg.URL()))

	// A second `make run` finds the cluster initialized and reuses it.
	require.NoError(t, pg.Stop(ctx))
	require.NoError(t, pg.Stop(ctx), "Stop is idempotent")
	again, err := StartPostgres(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, again.Stop)
	require.Equal(t, []string{"order-1"}, orderIDs(t, ctx, again.URL()))

	// Credentials that differ from the cluster's fail at once, saying why.
	require.NoError(t, again.Stop(ctx))
	opts.Password = "changed"
	_, err = StartPostgres(ctx, opts)
	require.ErrorContains(t, err, "rejects user orderflow")
}

func execSQL(t *testing.T, ctx context.Context, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}

func orderIDs(t *testing.T, ctx context.Context, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id FROM orders ORDER BY id")
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return ids
}
