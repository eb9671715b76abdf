package activities

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// Application error types of the activities. Business failures that no retry
// can fix are returned as non-retryable application errors; the workflows
// tell them apart by these types.
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
	// ErrNotFound is a record a workflow was started for that does not
	// exist: a bug of its starter.
	ErrNotFound = "NotFound"
)

// Retryable application error types of the send activities; permanent
// refusals are ErrPermanentDelivery.
const (
	// ErrTransientDelivery is a provider failure that may pass (5xx, 429,
	// timeout); when the provider said when to come back, the error's
	// NextRetryDelay says it.
	ErrTransientDelivery = "TransientDeliveryFailure"
	// ErrCircuitOpen is a call not made because the provider's circuit
	// breaker is open; NextRetryDelay is when it lets a call through.
	ErrCircuitOpen = "CircuitOpen"
)

// writeError marks a write that the database refused for what it holds (a
// data exception, SQLSTATE class 22: text with NUL, a number out of range)
// as non-retryable: no retry can change the answer, and retrying would hold
// the saga, and a worker slot, for the whole retry budget.
func writeError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrPermanentWrite, err)
	}
	return err
}
