package inventory

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// demoWarehouses and demoCatalogue are the development catalogue that
// `orderflow migrate --seed` (and so `make run`) loads.
var demoWarehouses = []struct{ ID, Name string }{
	{"eu-west", "Rotterdam"},
	{"us-east", "Newark"},
}

var demoCatalogue = []struct {
	Product
	Stock map[string]int // warehouse -> on hand
}{
	{Product{"TSHIRT-BLK-M", "Black T-shirt (M)", 2500, "USD"}, map[string]int{"eu-west": 40, "us-east": 60}},
	{Product{"MUG-CERAMIC", "Ceramic mug", 1200, "USD"}, map[string]int{"eu-west": 100, "us-east": 50}},
	{Product{"HOODIE-GRY-L", "Grey hoodie (L)", 5900, "USD"}, map[string]int{"eu-west": 10, "us-east": 5}},
	{Product{"POSTER-A2", "Poster (A2)", 1500, "USD"}, map[string]int{"eu-west": 0, "us-east": 20}},
	{Product{"KEYBOARD-TKL", "Mechanical keyboard", 12900, "USD"}, map[string]int{"eu-west": 3, "us-east": 2}},
}

// DemoSKUs lists the demo catalogue's SKUs.
func DemoSKUs() []string {
	out := make([]string, len(demoCatalogue))
	for i, p := range demoCatalogue {
		out[i] = p.SKU
	}
	return out
}

// SeedDemo loads the demo catalogue. Rows that exist are left alone, so a
// second run never resets stock that orders have consumed.
func (s *Store) SeedDemo(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, w := range demoWarehouses {
			if _, err := tx.Exec(ctx, `INSERT INTO inventory.warehouses (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, w.ID, w.Name); err != nil {
				return err
			}
		}
		for _, p := range demoCatalogue {
			if _, err := tx.Exec(ctx, `INSERT INTO inventory.products (sku, name, price, currency) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				p.SKU, p.Name, p.Price, p.Currency); err != nil {
				return err
			}
			for wh, qty := range p.Stock {
				if _, err := tx.Exec(ctx, `INSERT INTO inventory.stock (sku, warehouse_id, on_hand) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
					p.SKU, wh, qty); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
