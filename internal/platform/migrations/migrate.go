// Package migrations holds each service's schema migrations, embedded in the
// binary and applied with goose. Every service owns one PostgreSQL schema and
// keeps its own goose version table inside it, so services migrate
// independently and never touch each other's tables.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed orders/*.sql inventory/*.sql notifications/*.sql users/*.sql
var files embed.FS

// Schemas lists the services' schemas in the order they are migrated.
var Schemas = []string{"orders", "inventory", "notifications", "users"}

// Up creates every schema and applies its pending migrations. A PostgreSQL
// advisory lock makes concurrent runs (several pods starting) safe.
func Up(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	for _, schema := range Schemas {
		if err := upSchema(ctx, db, schema, logger); err != nil {
			return fmt.Errorf("migrate schema %s: %w", schema, err)
		}
	}
	return nil
}

func upSchema(ctx context.Context, db *sql.DB, schema string, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return err
	}
	sub, err := fs.Sub(files, schema)
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(schema+".goose_db_version"),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		logger.Info("migration applied", "schema", schema, "migration", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return nil
}
