package workflows

import "time"

// Item is one order line, priced by the API from the catalogue.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"` // minor units
}

// Contact is how the customer is told about the order: the addresses, and
// the customer's notification preferences as they were when the order was
// placed, like an address on a parcel.
type Contact struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Channels to try, in order; none means email, then SMS.
	Channels []string `json:"channels,omitempty"`
	// TimeZone (IANA) in which QuietHours are read; "" is UTC.
	TimeZone   string      `json:"time_zone,omitempty"`
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
}

// OrderInput starts an OrderWorkflow.
type OrderInput struct {
	OrderID      string    `json:"order_id"`
	CustomerID   string    `json:"customer_id"`
	Items        []Item    `json:"items"`
	Currency     string    `json:"currency"`
	Total        int64     `json:"total"` // minor units
	PaymentToken string    `json:"payment_token"`
	Contact      Contact   `json:"contact"`
	PlacedAt     time.Time `json:"placed_at"`
	// ReservationTTL is how long the order's stock is held while it is being
	// paid for; 0 means DefaultReservationTTL.
	ReservationTTL time.Duration `json:"reservation_ttl,omitempty"`
	// ApprovalTimeout, when set, makes the order wait after the payment is
	// authorized for an approve or reject decision; without one within the
	// timeout it is cancelled and compensated. The API sets it for orders
	// above its approval threshold.
	ApprovalTimeout time.Duration `json:"approval_timeout,omitempty"`
}

// Order statuses.
const (
	OrderPending          = "pending"
	OrderProcessing       = "processing"
	OrderAwaitingApproval = "awaiting_approval"
	// OrderNeedsAttention is an order whose compensation failed for good:
	// money or stock may still be held, and an operator has to look.
	OrderNeedsAttention = "needs_attention"
	OrderCompleted      = "completed"
	OrderFailed         = "failed"
	OrderCancelled      = "cancelled"
)

// OrderStatuses lists every status, for validation and documentation.
var OrderStatuses = []string{OrderPending, OrderProcessing, OrderAwaitingApproval, OrderNeedsAttention, OrderCompleted, OrderFailed, OrderCancelled}

// FinalOrderStatuses are the statuses an order ends in.
var FinalOrderStatuses = []string{OrderCompleted, OrderFailed, OrderCancelled}

// Saga step names, in the order they run.
const (
	StepReserveStock       = "reserve_stock"
	StepAuthorizePayment   = "authorize_payment"
	StepAwaitApproval      = "await_approval"
	StepCapturePayment     = "capture_payment"
	StepConfirmReservation = "confirm_reservation"
	StepNotifyCustomer     = "notify_customer"
	// Compensations.
	StepReleaseReservation = "release_reservation"
	StepVoidPayment        = "void_payment"
	StepRefundPayment      = "refund_payment"
)

// Step statuses.
const (
	StepRunning   = "running"
	StepCompleted = "completed"
	StepFailed    = "failed"
)

// Step is one saga step as the status query and the read model show it.
type Step struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// OrderState is the saga's state: the status query's answer and what the
// read model stores.
type OrderState struct {
	OrderID       string `json:"order_id"`
	Status        string `json:"status"`
	FailureReason string `json:"failure_reason,omitempty"`
	// Attention says, for operators, what is left undone while the order
	// needs attention.
	Attention       string `json:"attention,omitempty"`
	Steps           []Step `json:"steps"`
	ReservationID   string `json:"reservation_id,omitempty"`
	AuthorizationID string `json:"authorization_id,omitempty"`
	CaptureID       string `json:"capture_id,omitempty"`
	// Version increases with every change so the read model can ignore a
	// late write of an older state.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RecordOrderStateRequest asks the orders service to store a saga state in
// its read model and, when Event is set, publish that order event.
type RecordOrderStateRequest struct {
	Input OrderInput `json:"input"`
	State OrderState `json:"state"`
	Event string     `json:"event,omitempty"` // e.g. "order.completed"
}

// Order updates (the API's synchronous calls) and signals (the CLI's).
const (
	// UpdateCancel cancels an order that has not been captured yet; its
	// validator refuses later ones with the reason.
	UpdateCancel = "cancel"
	// UpdateApprove and UpdateReject decide an order awaiting approval; the
	// signals of the same names do the same from the temporal CLI or tctl.
	UpdateApprove = "approve"
	UpdateReject  = "reject"
	SignalApprove = "approve"
	SignalReject  = "reject"
)

// ErrTooLate is the error type of a cancel that lost the race with the
// capture: the order completed.
const ErrTooLate = "TooLate"

// Decision is the argument of the cancel, approve and reject updates and
// signals.
type Decision struct {
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}
