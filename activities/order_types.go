package activities

import "github.com/orderflow/orderflow/internal/domain/orders"

// RecordOrderStateRequest asks the orders service to store a saga state in
// its read model and, when Event is set, publish that order event.
type RecordOrderStateRequest struct {
	Input orders.Input `json:"input"`
	State orders.State `json:"state"`
	Event string       `json:"event,omitempty"` // e.g. "order.completed"
}
