package workflows

// Saga step names, in the order they run.
const (
	StepAssessRisk         = "assess_risk"
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
