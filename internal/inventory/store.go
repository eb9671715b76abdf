// Package inventory is the inventory service's data: products, warehouses,
// stock per warehouse and reservations, in the "inventory" schema. Stock rows
// are changed with optimistic locking (compare-and-set on their version), never
// with table locks.
package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors a caller can act on.
var (
	ErrUnknownSKU           = errors.New("unknown SKU")
	ErrOutOfStock           = errors.New("out of stock")
	ErrReservationNotFound  = errors.New("reservation not found")
	ErrReservationReleased  = errors.New("reservation was released")
	ErrReservationCommitted = errors.New("reservation was committed")
	// errConflict means another writer changed a stock row first: retry.
	errConflict = errors.New("concurrent stock update")
)

// Reservation statuses.
const (
	StatusReserved  = "reserved"
	StatusCommitted = "committed"
	StatusReleased  = "released"
)

// Product is one catalogue entry.
type Product struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Price    int64  `json:"price"` // minor units
	Currency string `json:"currency"`
}

// Store reads and writes the inventory schema.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Products returns the given SKUs that exist, keyed by SKU.
func (s *Store) Products(ctx context.Context, skus []string) (map[string]Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT sku, name, price, currency FROM inventory.products WHERE sku = ANY($1)`, skus)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Product])
	if err != nil {
		return nil, err
	}
	out := make(map[string]Product, len(found))
	for _, p := range found {
		out[p.SKU] = p
	}
	return out, nil
}

// ListProducts returns the whole catalogue ordered by SKU.
func (s *Store) ListProducts(ctx context.Context) ([]Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT sku, name, price, currency FROM inventory.products ORDER BY sku`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Product])
}

// WarehouseStock is one SKU's stock in one warehouse.
type WarehouseStock struct {
	WarehouseID string `json:"warehouse_id"`
	OnHand      int    `json:"on_hand"`
	Reserved    int    `json:"reserved"`
	Available   int    `json:"available"`
	Version     int64  `json:"version"`
}

// Stock returns a SKU's stock per warehouse, or ErrUnknownSKU.
func (s *Store) Stock(ctx context.Context, sku string) ([]WarehouseStock, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT warehouse_id, on_hand, reserved, on_hand - reserved, version
		FROM inventory.stock WHERE sku = $1 ORDER BY warehouse_id`, sku)
	if err != nil {
		return nil, err
	}
	stock, err := pgx.CollectRows(rows, pgx.RowToStructByPos[WarehouseStock])
	if err != nil {
		return nil, err
	}
	if len(stock) == 0 {
		if _, err := s.Products(ctx, []string{sku}); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	}
	return stock, nil
}
