package integration

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/migrations"
)

// A new release's pods wait in wait-for-schema until the migrate Job has
// applied what they need, and only then start: on an empty database it
// waits (and gives up after its timeout, saying why); once the migrations
// run, it returns.
func TestWaitForSchemaWaitsForTheMigrations(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	require.NoError(t, app.WaitForSchema(ctx, settings[config.SchemaWait](stack.cfg), time.Minute, logger), "the stack's schema is current")

	name := fmt.Sprintf("schema_wait_%d", time.Now().UnixNano())
	_, err := stack.db.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = stack.db.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)") })
	u, err := url.Parse(stack.cfg.DatabaseURL)
	require.NoError(t, err)
	u.Path = "/" + name
	cfg := stack.cfg
	cfg.DatabaseURL = u.String()

	err = app.WaitForSchema(ctx, settings[config.SchemaWait](cfg), 3*time.Second, logger)
	require.ErrorContains(t, err, "has the migrate Job run?")

	waited := make(chan error, 1)
	go func() { waited <- app.WaitForSchema(ctx, settings[config.SchemaWait](cfg), time.Minute, logger) }()
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, migrations.Up(ctx, pool, logger))
	select {
	case err := <-waited:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("wait-for-schema did not see the migrations")
	}
}
