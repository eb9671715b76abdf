// Package testdb gives tests a real PostgreSQL with every service's schema
// migrated, started on a free loopback port with its data under a directory
// the caller removes. The stores are tested against it rather than a fake:
// their guarantees are PostgreSQL's (row locks, unique indexes).
package testdb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/migrations"
)

// Start starts PostgreSQL under dir, applies the migrations and returns a
// pool of at most maxConns connections (0: pgx's default) and the function
// that closes the pool and stops the server.
func Start(ctx context.Context, dir string, maxConns int) (*pgxpool.Pool, func(), error) {
	quiet := slog.New(slog.DiscardHandler)
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(dir, "postgres"), User: "orderflow", Password: "orderflow", Database: "orderflow",
		Fast: true, Logger: quiet,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	url := pg.URL()
	if maxConns > 0 {
		url += fmt.Sprintf("&pool_max_conns=%d", maxConns)
	}
	pool, err := pgxpool.New(ctx, url)
	if err == nil {
		err = migrations.Up(ctx, pool, quiet)
	}
	stop := func() {
		if pool != nil {
			pool.Close()
		}
		_ = pg.Stop(context.Background())
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return pool, stop, nil
}

// Main is a package's TestMain around one PostgreSQL: it starts the server
// in a temporary directory, hands the pool to setup (which may start more
// there), runs the tests and stops it all. It returns the exit code.
func Main(m *testing.M, name string, maxConns int, setup func(ctx context.Context, dir string, pool *pgxpool.Pool) (stop func(), err error)) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", name+"-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pool, stop, err := Start(ctx, dir, maxConns)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	stopSetup, err := setup(ctx, dir, pool)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if stopSetup != nil {
		defer stopSetup()
	}
	return m.Run()
}
