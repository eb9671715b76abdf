package activities

// AuthorizePaymentRequest holds funds on the customer's payment method.
type AuthorizePaymentRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Token          string `json:"token"`
}

// CapturePaymentRequest takes held funds.
type CapturePaymentRequest struct {
	IdempotencyKey  string `json:"idempotency_key"`
	AuthorizationID string `json:"authorization_id"`
	Amount          int64  `json:"amount"`
}

// VoidPaymentRequest releases held funds. Without an AuthorizationID the
// activity looks up the authorizations the gateway made for OrderID and
// voids each (an authorization whose answer was lost). An authorization
// captured after all is refunded instead, found by replaying the capture
// under CaptureKey.
type VoidPaymentRequest struct {
	IdempotencyKey  string `json:"idempotency_key"`
	OrderID         string `json:"order_id,omitempty"`
	AuthorizationID string `json:"authorization_id,omitempty"`
	CaptureKey      string `json:"capture_key"`
	RefundKey       string `json:"refund_key"`
	Amount          int64  `json:"amount"`
	// Authorize is what voids scheduled before OrderID existed carried
	// instead (they found the authorization by authorizing again). It is
	// still read, so that such a void, retried by this version, looks the
	// authorization up instead.
	Authorize *AuthorizePaymentRequest `json:"authorize,omitempty"`
}

// Reference is the order whose authorizations the void looks up.
func (r VoidPaymentRequest) Reference() string {
	if r.OrderID == "" && r.Authorize != nil {
		return r.Authorize.OrderID
	}
	return r.OrderID
}

// RefundPaymentRequest returns a captured amount to the customer.
type RefundPaymentRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	CaptureID      string `json:"capture_id"`
	Amount         int64  `json:"amount"`
}

// PaymentResult identifies the gateway object an operation created.
type PaymentResult struct {
	ID string `json:"id"`
}
