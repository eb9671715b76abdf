package activities

import (
	"time"

	"github.com/orderflow/orderflow/internal/domain/inventory"
)

// ReserveStockRequest reserves every line or none, until ExpiresAt.
type ReserveStockRequest struct {
	ReservationID string           `json:"reservation_id"`
	OrderID       string           `json:"order_id"`
	Lines         []inventory.Line `json:"lines"`
	ExpiresAt     time.Time        `json:"expires_at"`
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

// Reservation is stock held for an order.
type Reservation struct {
	ID          string                 `json:"id"`
	Status      string                 `json:"status"`
	Allocations []inventory.Allocation `json:"allocations"`
}

// RestockRequest puts an order's goods back in the warehouses they shipped
// from. IdempotencyKey names what brought them back: a shipment cancelled,
// a return received.
type RestockRequest struct {
	IdempotencyKey string                 `json:"idempotency_key"`
	OrderID        string                 `json:"order_id"`
	Lines          []inventory.Allocation `json:"lines"`
	Reason         string                 `json:"reason"`
}
