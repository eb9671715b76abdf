package orders

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/risk"
)

// Item is one order line, priced by the API from the catalogue.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"` // minor units
}

// Input starts an order's workflow (workflows.OrderWorkflow) and is what the
// read model keeps of the order as it was placed.
type Input struct {
	OrderID      string                `json:"order_id"`
	CustomerID   string                `json:"customer_id"`
	Items        []Item                `json:"items"`
	Currency     string                `json:"currency"`
	Total        int64                 `json:"total"` // minor units
	PaymentToken string                `json:"payment_token"`
	Contact      notifications.Contact `json:"contact"`
	PlacedAt     time.Time             `json:"placed_at"`
	// ReservationTTL is how long the order's stock is held while it is being
	// paid for; 0 means workflows.DefaultReservationTTL.
	ReservationTTL time.Duration `json:"reservation_ttl,omitempty"`
	// ApprovalTimeout, when set, makes the order wait after the payment is
	// authorized for an approve or reject decision; without one within the
	// timeout it is cancelled and compensated. The API sets it for orders
	// above its approval threshold.
	ApprovalTimeout time.Duration `json:"approval_timeout,omitempty"`
	// ReviewTimeout is how long an order that its risk assessment sends to
	// an admin waits for the decision (as ApprovalTimeout does); 0 means
	// workflows.DefaultReviewTimeout.
	ReviewTimeout time.Duration `json:"review_timeout,omitempty"`
	// What the risk assessment knows of the customer: when their account
	// was opened (zero when unknown, as for an order started from the
	// CLI), and whether the order's contact addresses are not the
	// profile's.
	AccountCreatedAt time.Time `json:"account_created_at,omitzero"`
	ContactOverride  bool      `json:"contact_override,omitempty"`
}

// WorkflowID is the workflow ID of an order: one execution per order.
func WorkflowID(orderID string) string { return "order-" + orderID }

// Status is where an order is in its life.
type Status string

// Order statuses.
const (
	StatusPending          Status = "pending"
	StatusProcessing       Status = "processing"
	StatusAwaitingApproval Status = "awaiting_approval"
	// StatusNeedsAttention is an order whose compensation failed for good:
	// money or stock may still be held, and an operator has to look.
	StatusNeedsAttention Status = "needs_attention"
	StatusCompleted      Status = "completed"
	StatusFailed         Status = "failed"
	StatusCancelled      Status = "cancelled"
	// A completed order's shipments move it on (RecordShipment): shipped
	// once every parcel has left its warehouse, delivered once every one
	// has arrived.
	StatusShipped   Status = "shipped"
	StatusDelivered Status = "delivered"
)

// Statuses lists every status, for validation and documentation.
var Statuses = []Status{StatusPending, StatusProcessing, StatusAwaitingApproval, StatusNeedsAttention, StatusCompleted, StatusFailed, StatusCancelled,
	StatusShipped, StatusDelivered}

// FinalStatuses are the statuses of an order whose saga has ended: its
// outcome, and where its shipments took a completed one since.
var FinalStatuses = []Status{StatusCompleted, StatusFailed, StatusCancelled, StatusShipped, StatusDelivered}

// Final reports whether an order in s has ended its saga.
func (s Status) Final() bool { return slices.Contains(FinalStatuses, s) }

// SettledStatuses are those of an order whose life is over: nothing moves
// it on by itself any more (a delivered order's customer may still return
// its lines, which its returns and refunds show).
var SettledStatuses = []Status{StatusFailed, StatusCancelled, StatusDelivered}

// Settled reports whether an order in s has ended its life, but for
// returns (Order.Settled).
func (s Status) Settled() bool { return slices.Contains(SettledStatuses, s) }

// Paid reports whether an order in s has been paid for: completed, or on
// its way since.
func (s Status) Paid() bool {
	return s == StatusCompleted || s == StatusShipped || s == StatusDelivered
}

// Step is one saga step as the status query and the read model show it
// (the names and statuses are the saga's: see the workflows package).
type Step struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// State is the saga's state: the status query's answer and what the read
// model stores.
type State struct {
	OrderID       string `json:"order_id"`
	Status        Status `json:"status"`
	FailureReason string `json:"failure_reason,omitempty"`
	// Attention says, for operators, what is left undone while the order
	// needs attention.
	Attention       string `json:"attention,omitempty"`
	Steps           []Step `json:"steps"`
	ReservationID   string `json:"reservation_id,omitempty"`
	AuthorizationID string `json:"authorization_id,omitempty"`
	CaptureID       string `json:"capture_id,omitempty"`
	// Risk is the assessment made before the payment, for admins (the API
	// shows it to them only); nil for orders placed before assessments.
	Risk *risk.Assessment `json:"risk,omitempty"`
	// Version increases with every change so the read model can ignore a
	// late write of an older state.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Event is the type of the order event recorded when an order reaches s,
// such as "order.completed".
func (s Status) Event() string { return "order." + string(s) }

// ParseStatus returns the status named s, or an error that lists them all.
func ParseStatus(s string) (Status, error) {
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
		names[i] = string(st)
	}
	return "", fmt.Errorf("status must be one of %s", strings.Join(names, ", "))
}
