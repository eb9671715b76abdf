package workflows

import (
	"time"

	"github.com/orderflow/orderflow/internal/domain/inventory"
)

// DefaultReservationTTL is how long stock stays held without a confirm or a
// release when ReservationInput.TTL is 0.
const DefaultReservationTTL = 15 * time.Minute

// ReservationInput starts a ReservationWorkflow.
type ReservationInput struct {
	OrderID string           `json:"order_id"`
	Lines   []inventory.Line `json:"lines"`
	// TTL is how long stock is held without a confirm or a release, after
	// which the workflow releases it; 0 means DefaultReservationTTL.
	TTL time.Duration `json:"ttl,omitempty"`
	// SignalsLocally: the reservation tells its parent that the stock is
	// held with a local activity (signalLocally), not a command. The
	// parent decides, by its own version (localCallsChange), and its
	// input records the choice for the reservation's replays: reservations
	// recorded before it replay their commands.
	SignalsLocally bool `json:"signals_locally,omitempty"`
}

// Reservation statuses, as ReservationWorkflow reports them.
const (
	ReservationPending   = "pending"  // reserving
	ReservationHeld      = "reserved" // stock held until confirm, release or expiry
	ReservationCommitted = "committed"
	ReservationReleased  = "released"
	ReservationExpired   = "expired"
	ReservationRejected  = "rejected" // out of stock or unknown SKU: nothing was held
)

// ReservationState is a ReservationWorkflow's state: its status query's
// answer, the payload of its held signal and its result.
type ReservationState struct {
	ReservationID string                 `json:"reservation_id"`
	OrderID       string                 `json:"order_id"`
	Status        string                 `json:"status"`
	Allocations   []inventory.Allocation `json:"allocations,omitempty"`
	ExpiresAt     time.Time              `json:"expires_at"`
	// Reason says why the stock was rejected or released.
	Reason string `json:"reason,omitempty"`
}

// ReleaseSignal is the payload of SignalReleaseReservation.
type ReleaseSignal struct {
	Reason string `json:"reason"`
}
