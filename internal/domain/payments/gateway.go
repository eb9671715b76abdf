// Package payments is the client of the payment gateway: authorize a card
// token, capture or void the authorization, refund the capture. Every call
// carries an idempotency key, so a retried activity never charges twice.
package payments

import (
	"context"
	"errors"
	"fmt"
)

// Gateway is what the order activities need from a payment gateway.
type Gateway interface {
	Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error)
	Capture(ctx context.Context, authorizationID string, amount int64, idempotencyKey string) (Capture, error)
	// Void releases an authorization; voiding one already voided succeeds,
	// so the saga's compensation can be retried.
	Void(ctx context.Context, authorizationID, idempotencyKey string) error
	Refund(ctx context.Context, captureID string, amount int64, idempotencyKey string) (Refund, error)
	// FindAuthorizations lists the authorizations made for reference (an
	// order ID), whatever their status: how a compensation learns what an
	// authorization whose answer was lost did, without authorizing again.
	FindAuthorizations(ctx context.Context, reference string) ([]Authorization, error)
}

// AuthorizeRequest asks to hold Amount (in the currency's smallest unit) on
// the card behind Token. Reference is the order it is for.
type AuthorizeRequest struct {
	IdempotencyKey string
	Amount         int64
	Currency       string
	Token          string
	Reference      string
}

type Authorization struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reference string `json:"reference"`
}

type Capture struct {
	ID              string `json:"id"`
	AuthorizationID string `json:"authorization_id"`
	Status          string `json:"status"`
	Amount          int64  `json:"amount"`
}

type Refund struct {
	ID        string `json:"id"`
	CaptureID string `json:"capture_id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
}

// DeclinedError is the gateway refusing a request for good: a declined card,
// an unknown token or authorization, a capture of a voided authorization, an
// idempotency key reused for another request. Retrying cannot help.
type DeclinedError struct {
	Status  int    // HTTP status of the refusal
	Code    string // gateway code, e.g. card_declined
	Message string
}

func (e *DeclinedError) Error() string {
	return fmt.Sprintf("payment declined: %s: %s", e.Code, e.Message)
}

// GatewayError is the gateway answering that it failed to process a request
// (a 5xx, 408 or 429 with its error body): transient, so worth retrying, but
// a known outcome: the request did nothing. A timeout, a lost connection or
// an answer without the gateway's error body is not a GatewayError: the
// request may or may not have been carried out.
type GatewayError struct {
	Status  int
	Code    string
	Message string
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("payment gateway failed (%d): %s: %s", e.Status, e.Code, e.Message)
}

// NothingDone reports whether err says for certain that the request changed
// nothing at the gateway: a refusal or a gateway failure it answered.
func NothingDone(err error) bool {
	var failed *GatewayError
	return IsPermanent(err) || errors.As(err, &failed)
}

// IsPermanent reports whether err is a refusal that retrying cannot change.
// Other errors (gateway 5xx, 429, timeouts, connection failures) are
// transient.
func IsPermanent(err error) bool {
	var declined *DeclinedError
	return errors.As(err, &declined)
}
