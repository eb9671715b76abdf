package activities

import "time"

// StockLine asks for a quantity of one SKU.
type StockLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// ReserveStockRequest reserves every line or none, until ExpiresAt.
type ReserveStockRequest struct {
	ReservationID string      `json:"reservation_id"`
	OrderID       string      `json:"order_id"`
	Lines         []StockLine `json:"lines"`
	ExpiresAt     time.Time   `json:"expires_at"`
}

// ReleaseReservationRequest gives a reservation's stock back.
type ReleaseReservationRequest struct {
	ReservationID string `json:"reservation_id"`
	OrderID       string `json:"order_id"`
	Reason        string `json:"reason"`
	// Expired says the reservation's TTL ran out (rather than its order
	// releasing it).
	Expired bool `json:"expired,omitempty"`
}

// Allocation is the part of a line taken from one warehouse.
type Allocation struct {
	SKU         string `json:"sku"`
	WarehouseID string `json:"warehouse_id"`
	Quantity    int    `json:"quantity"`
}

// Reservation is stock held for an order.
type Reservation struct {
	ID          string       `json:"id"`
	Status      string       `json:"status"`
	Allocations []Allocation `json:"allocations"`
}
