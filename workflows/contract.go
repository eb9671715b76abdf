// Package workflows holds orderflow's Temporal workflows and the types that
// form their contract: inputs, results, activity names, query and signal
// names. It does no I/O and imports no activity implementation: activities are
// called by name with the request types declared here.
package workflows

// Task queues, one per worker Deployment.
const (
	OrdersTaskQueue        = "orders"
	InventoryTaskQueue     = "inventory"
	NotificationsTaskQueue = "notifications"
)

// Activity names. They equal the method names of the activity structs in the
// activities package, which registers them; workers_test checks they match.
const (
	ActivityRecordOrderState   = "RecordOrderState"
	ActivityReserveStock       = "ReserveStock"
	ActivityCommitReservation  = "CommitReservation"
	ActivityReleaseReservation = "ReleaseReservation"
	ActivityAuthorizePayment   = "AuthorizePayment"
	ActivityCapturePayment     = "CapturePayment"
	ActivityVoidPayment        = "VoidPayment"
	ActivitySendEmail          = "SendEmail"
	ActivitySendSMS            = "SendSMS"
	ActivitySendPush           = "SendPush"
	ActivitySendWebhook        = "SendWebhook"
	ActivityRecordNotification = "RecordNotification"
)

// Application error types: business failures that no retry can fix.
// Activities return them as non-retryable application errors.
const (
	ErrOutOfStock      = "OutOfStock"
	ErrUnknownSKU      = "UnknownSKU"
	ErrPaymentDeclined = "PaymentDeclined"
	// ErrPaymentGatewayFailed is a retryable failure that the gateway
	// answered: the request did nothing. When it is an authorization's last
	// word, there is no authorization to void.
	ErrPaymentGatewayFailed = "PaymentGatewayFailed"
	ErrReservationReleased  = "ReservationReleased"
	// ErrReservationCommitted refuses to release stock that was sold.
	ErrReservationCommitted = "ReservationCommitted"
	ErrPermanentDelivery    = "PermanentDeliveryFailure"
	// ErrPermanentWrite is a bookkeeping write the database refuses for
	// what it holds: retrying cannot help, so the saga goes on without it.
	ErrPermanentWrite = "PermanentWrite"
)

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

// OrderWorkflowID is the workflow ID of an order: one execution per order.
func OrderWorkflowID(orderID string) string { return "order-" + orderID }

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

// ActivityRefundPayment returns a captured payment: the saga's compensation
// when the stock reservation ran out before the order could confirm it.
const ActivityRefundPayment = "RefundPayment"
