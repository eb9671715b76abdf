// Package inventory is the inventory service's data: products, warehouses,
// stock per warehouse, reservations and the stock ledger, in the "inventory"
// schema, which no other service reads.
//
// Every change to a stock row is an event in the ledger (stock_events),
// appended in the same transaction as the row's update, so the row is always
// the projection of its events. Rows whose change depends on what was read
// (reserving, taking stock away) are updated with a compare-and-set on their
// version (optimistic locking), never with table locks.
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
	ErrUnknownWarehouse     = errors.New("unknown warehouse")
	ErrOutOfStock           = errors.New("out of stock")
	ErrReservationNotFound  = errors.New("reservation not found")
	ErrReservationReleased  = errors.New("reservation was released")
	ErrReservationCommitted = errors.New("reservation was committed")
	ErrIdempotencyKeyReused = errors.New("idempotency key already used for another change")
	// ErrCacheNotInvalidated means a change was committed but the cached
	// stock could not be dropped; repeating the (idempotent) change drops it.
	ErrCacheNotInvalidated = errors.New("stock changed but its cache entry could not be invalidated")
	// errConflict means another writer changed a stock row first: retry.
	errConflict = errors.New("concurrent stock update")
)

// Reservation statuses. A reservation ends committed, released by its order,
// or expired when its TTL ran out.
const (
	StatusReserved  = "reserved"
	StatusCommitted = "committed"
	StatusReleased  = "released"
	StatusExpired   = "expired"
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
	pool  *pgxpool.Pool
	cache *Cache
}

// Option configures a Store.
type Option func(*Store)

// WithCache serves StockLevel from c and invalidates c on every stock change.
// Every process that changes stock must use it, or readers see stale stock.
func WithCache(c *Cache) Option { return func(s *Store) { s.cache = c } }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool}
	for _, o := range opts {
		o(s)
	}
	return s
}

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

// Product returns one product, or ErrUnknownSKU.
func (s *Store) Product(ctx context.Context, sku string) (Product, error) {
	found, err := s.Products(ctx, []string{sku})
	if err != nil {
		return Product{}, err
	}
	p, ok := found[sku]
	if !ok {
		return Product{}, fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	}
	return p, nil
}

// ListProducts returns the whole catalogue ordered by SKU.
func (s *Store) ListProducts(ctx context.Context) ([]Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT sku, name, price, currency FROM inventory.products ORDER BY sku`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Product])
}

// AddProduct adds p to the catalogue; a SKU that exists is left alone.
func (s *Store) AddProduct(ctx context.Context, p Product) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO inventory.products (sku, name, price, currency) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		p.SKU, p.Name, p.Price, p.Currency)
	return err
}

// AddWarehouse adds a warehouse; one that exists is left alone.
func (s *Store) AddWarehouse(ctx context.Context, id, name string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO inventory.warehouses (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, name)
	return err
}

// WarehouseStock is one SKU's stock in one warehouse.
type WarehouseStock struct {
	WarehouseID string `json:"warehouse_id"`
	OnHand      int    `json:"on_hand"`
	Reserved    int    `json:"reserved"`
	Available   int    `json:"available"`
	Version     int64  `json:"version"`
}

// StockTotals sums a SKU's stock over its warehouses.
type StockTotals struct {
	OnHand    int `json:"on_hand"`
	Reserved  int `json:"reserved"`
	Available int `json:"available"`
}

// StockLevel is a SKU's stock per warehouse and in total.
type StockLevel struct {
	SKU        string           `json:"sku"`
	Warehouses []WarehouseStock `json:"warehouses"`
	Totals     StockTotals      `json:"totals"`
}

// Stock returns a SKU's stock per warehouse, read from PostgreSQL, or
// ErrUnknownSKU. A product not stocked anywhere yet has no rows.
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
		if _, err := s.Product(ctx, sku); err != nil {
			return nil, err
		}
	}
	return stock, nil
}

// StockLevel returns a SKU's stock with totals: from the cache when the store
// has one (cache-aside), else from PostgreSQL.
func (s *Store) StockLevel(ctx context.Context, sku string) (StockLevel, error) {
	if s.cache == nil {
		return s.loadStockLevel(ctx, sku)
	}
	return s.cache.stockLevel(ctx, sku, s.loadStockLevel)
}

func (s *Store) loadStockLevel(ctx context.Context, sku string) (StockLevel, error) {
	rows, err := s.Stock(ctx, sku)
	if err != nil {
		return StockLevel{}, err
	}
	level := StockLevel{SKU: sku, Warehouses: rows}
	if level.Warehouses == nil {
		level.Warehouses = []WarehouseStock{}
	}
	for _, r := range rows {
		level.Totals.OnHand += r.OnHand
		level.Totals.Reserved += r.Reserved
		level.Totals.Available += r.Available
	}
	return level, nil
}

// invalidate drops the cached stock of skus after a committed change. A
// failure is returned, not logged: the caller's write is retried (it is
// idempotent), which invalidates again, so no reader is left with stale stock.
func (s *Store) invalidate(ctx context.Context, skus ...string) error {
	if s.cache == nil {
		return nil
	}
	if err := s.cache.invalidate(ctx, skus...); err != nil {
		return fmt.Errorf("%w: %w", ErrCacheNotInvalidated, err)
	}
	return nil
}
