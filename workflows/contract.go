// Package workflows holds orderflow's Temporal workflows and the names that
// form their contract: task queues, queries, signals, updates and search
// attributes. It does no I/O: it calls the activities of the activities
// package by typed reference (activity_refs.go), and the domain packages
// (internal/domain/orders, internal/domain/notifications) define the inputs and states
// that the API, the activities and the read models share.
package workflows

// Task queues, one per worker Deployment.
const (
	OrdersTaskQueue        = "orders"
	InventoryTaskQueue     = "inventory"
	NotificationsTaskQueue = "notifications"
	FulfilmentTaskQueue    = "fulfilment"
)

// TaskQueues lists the task queues, one worker Deployment each.
var TaskQueues = []string{OrdersTaskQueue, InventoryTaskQueue, NotificationsTaskQueue, FulfilmentTaskQueue}

// Query names.
const QueryStatus = "status"

// Signal names.
const (
	// SignalRetry asks a notification that failed on every channel to try
	// them all again.
	SignalRetry = "retry"
)

// Search attributes registered on the namespace (see temporal/README.md).
const (
	SearchAttrOrderStatus = "OrderStatus"
	SearchAttrCustomerID  = "CustomerId"
	SearchAttrOrderTotal  = "OrderTotal"
)

// ReservationID is the stock reservation of an order: deterministic, so a
// retried reserve finds the reservation it already made.
func ReservationID(orderID string) string { return "res-" + orderID }

// Stock reservations: ReservationWorkflow and the order saga talk by signal.
const (
	// SignalReservationHeld is sent by ReservationWorkflow to its parent
	// order once the stock is held (payload: ReservationState).
	SignalReservationHeld = "reservation-held"
	// SignalConfirmReservation sells the held stock. Only the first confirm
	// or release counts; a re-delivered one changes nothing.
	SignalConfirmReservation = "confirm"
	// SignalReleaseReservation gives the held stock back (payload: ReleaseSignal).
	SignalReleaseReservation = "release"
)
