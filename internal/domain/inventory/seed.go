package inventory

import "context"

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

// SeedDemo loads the demo catalogue. Stock rows that exist are left alone,
// so a second run never resets stock that orders have consumed; new ones are
// received through the ledger like any stock.
func (s *Store) SeedDemo(ctx context.Context) error {
	for _, w := range demoWarehouses {
		if err := s.AddWarehouse(ctx, w.ID, w.Name); err != nil {
			return err
		}
	}
	for _, p := range demoCatalogue {
		if err := s.AddProduct(ctx, p.Product); err != nil {
			return err
		}
		rows, err := s.Stock(ctx, p.SKU)
		if err != nil {
			return err
		}
		stocked := map[string]bool{}
		for _, r := range rows {
			stocked[r.WarehouseID] = true
		}
		for wh, qty := range p.Stock {
			if stocked[wh] {
				continue
			}
			if _, err := s.Adjust(ctx, Adjustment{SKU: p.SKU, WarehouseID: wh, Delta: qty, Reason: "demo catalogue",
				Actor: "seed", IdempotencyKey: "seed:" + p.SKU + ":" + wh}); err != nil {
				return err
			}
		}
	}
	return nil
}
