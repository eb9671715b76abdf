package activities

import "github.com/orderflow/orderflow/internal/domain/orders"

// RecordOrderStateRequest asks the orders service to store a saga state in
// its read model and, when Event is set, publish that order event.
type RecordOrderStateRequest struct {
	Input orders.Input `json:"input"`
	State orders.State `json:"state"`
	Event string       `json:"event,omitempty"` // e.g. "order.completed"
}

// SettleRefundRequest records a refund's outcome: refunded with the
// gateway's refund, or failed with the reason.
type SettleRefundRequest struct {
	RefundID        string              `json:"refund_id"`
	Status          orders.RefundStatus `json:"status"`
	GatewayRefundID string              `json:"gateway_refund_id,omitempty"`
	Failure         string              `json:"failure,omitempty"`
}
