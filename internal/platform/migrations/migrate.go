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
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := newProvider(db, schema, goose.WithSessionLocker(locker))
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

// Current returns nil when every schema has every migration this binary
// embeds, and otherwise says which schema is behind. It writes nothing
// and takes no lock, so new code can wait on it while an older
// migration runs (`orderflow wait-for-schema`).
func Current(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	for _, schema := range Schemas {
		provider, err := newProvider(db, schema)
		if err != nil {
			return err
		}
		current, target, err := provider.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("schema %s: its migrations could not be read (none applied yet, or the database does not answer): %w", schema, err)
		}
		if current < target {
			return fmt.Errorf("schema %s is at version %d; this binary needs %d", schema, current, target)
		}
	}
	return nil
}

// newProvider is goose on schema's embedded migrations, with the version
// table inside the schema.
func newProvider(db *sql.DB, schema string, opts ...goose.ProviderOption) (*goose.Provider, error) {
	sub, err := fs.Sub(files, schema)
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithTableName(schema+".goose_db_version"), goose.WithDisableGlobalRegistry(true))
	return goose.NewProvider(goose.DialectPostgres, db, sub, opts...)
}
