package sandbox

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// The payment gateway is a small Stripe-like JSON API: authorize a card
// token, then capture or void the authorization, then refund the capture.
// Amounts are integers in the currency's smallest unit.

// ledger is the payment gateway's state.
type ledger struct {
	authorizations map[string]*authorization
	captures       map[string]*capture
	responses      map[string]storedResponse // by idempotency key
	operations     []PaymentOperation
	// shipments are the carrier's parcels, by ID (carrier.go).
	shipments map[string]*carrierShipment
}

func newLedger() ledger {
	return ledger{
		authorizations: map[string]*authorization{},
		captures:       map[string]*capture{},
		responses:      map[string]storedResponse{},
		shipments:      map[string]*carrierShipment{},
	}
}

type authorization struct {
	ID        string `json:"id"`
	Status    string `json:"status"` // authorized, captured or voided
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reference string `json:"reference"`
}

type capture struct {
	ID              string `json:"id"`
	AuthorizationID string `json:"authorization_id"`
	Status          string `json:"status"`
	Amount          int64  `json:"amount"`
	AmountRefunded  int64  `json:"amount_refunded"`
	Currency        string `json:"currency"`
	reference       string // the authorization's, so refunds are traceable to the order
}

type refund struct {
	ID        string `json:"id"`
	CaptureID string `json:"capture_id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
}

// testCard is the outcome a test token forces, as with Stripe's test tokens;
// a zero status approves.
type testCard struct {
	status        int
	code, message string
}

var testCards = map[string]testCard{
	"tok_visa":               {},
	"tok_declined":           {http.StatusPaymentRequired, "card_declined", "Your card was declined."},
	"tok_insufficient_funds": {http.StatusPaymentRequired, "insufficient_funds", "Your card has insufficient funds."},
	"tok_error":              {http.StatusInternalServerError, "processing_error", "An error occurred while processing your card. Try again."},
}

// paymentErrorBody is the gateway's error shape: {"error":{"code","message"}}.
type paymentErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func paymentFailure(status int, code, message string) (int, any) {
	var body paymentErrorBody
	body.Error.Code, body.Error.Message = code, message
	return status, body
}

func writePaymentError(w http.ResponseWriter, status int, code, message string) {
	status, body := paymentFailure(status, code, message)
	writeJSON(w, status, body)
}

// The payment operations below run under s.mu (see idempotent) and return
// the status and body to answer.

func (s *Sandbox) authorize(_ *http.Request, body []byte, key string) (int, any) {
	var req struct {
		Amount    int64  `json:"amount"`
		Currency  string `json:"currency"`
		Token     string `json:"token"`
		Reference string `json:"reference"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return paymentFailure(http.StatusBadRequest, "invalid_request", err.Error())
	}
	if req.Amount <= 0 {
		return paymentFailure(http.StatusBadRequest, "invalid_amount", "amount must be a positive integer in the currency's smallest unit")
	}
	if len(req.Currency) != 3 {
		return paymentFailure(http.StatusBadRequest, "invalid_currency", fmt.Sprintf("currency %q is not a three-letter ISO code", req.Currency))
	}
	card, ok := testCards[req.Token]
	if !ok {
		return paymentFailure(http.StatusBadRequest, "invalid_token", fmt.Sprintf("No such token: '%s'", req.Token))
	}
	if card.status != 0 {
		return paymentFailure(card.status, card.code, card.message)
	}
	a := &authorization{
		ID:        newID("auth_", 12),
		Status:    "authorized",
		Amount:    req.Amount,
		Currency:  strings.ToUpper(req.Currency),
		Reference: req.Reference,
	}
	s.ledger.authorizations[a.ID] = a
	s.recordPayment(PaymentOperation{Kind: "authorize", ID: a.ID, IdempotencyKey: key, Amount: a.Amount, Reference: a.Reference, Status: a.Status})
	return http.StatusCreated, *a
}

// authorizationOf is the authorization the path names; nil with the
// gateway's 404 when there is none.
func (s *Sandbox) authorizationOf(r *http.Request) (*authorization, int, any) {
	id := mux.Vars(r)["id"]
	a, ok := s.ledger.authorizations[id]
	if !ok {
		status, body := paymentFailure(http.StatusNotFound, "resource_missing", fmt.Sprintf("No such authorization: '%s'", id))
		return nil, status, body
	}
	return a, 0, nil
}

// amountRequest is the body of a capture or a refund: 0 is the whole
// amount (authorized, or left to refund).
type amountRequest struct {
	Amount int64 `json:"amount"`
}

func (s *Sandbox) capture(r *http.Request, body []byte, key string) (int, any) {
	a, status, failure := s.authorizationOf(r)
	if a == nil {
		return status, failure
	}
	var req amountRequest
	if err := decodeJSON(body, &req); err != nil {
		return paymentFailure(http.StatusBadRequest, "invalid_request", err.Error())
	}
	switch a.Status {
	case "voided":
		return paymentFailure(http.StatusConflict, "authorization_voided", "This authorization was voided and can no longer be captured.")
	case "captured":
		return paymentFailure(http.StatusConflict, "already_captured", "This authorization has already been captured.")
	}
	amount := req.Amount
	if amount == 0 {
		amount = a.Amount
	}
	if amount < 0 || amount > a.Amount {
		return paymentFailure(http.StatusBadRequest, "invalid_amount", fmt.Sprintf("capture amount must be between 1 and the authorized %d", a.Amount))
	}
	a.Status = "captured"
	c := &capture{ID: newID("cap_", 12), AuthorizationID: a.ID, Status: "captured", Amount: amount, Currency: a.Currency, reference: a.Reference}
	s.ledger.captures[c.ID] = c
	s.recordPayment(PaymentOperation{Kind: "capture", ID: c.ID, IdempotencyKey: key, Amount: amount, Reference: a.Reference, Status: c.Status})
	return http.StatusOK, *c
}

func (s *Sandbox) void(r *http.Request, _ []byte, key string) (int, any) {
	a, status, failure := s.authorizationOf(r)
	if a == nil {
		return status, failure
	}
	switch a.Status {
	case "captured":
		return paymentFailure(http.StatusConflict, "already_captured", "This authorization has been captured; refund the capture instead.")
	case "voided":
		return paymentFailure(http.StatusConflict, "already_voided", "This authorization has already been voided.")
	}
	a.Status = "voided"
	s.recordPayment(PaymentOperation{Kind: "void", ID: a.ID, IdempotencyKey: key, Amount: a.Amount, Reference: a.Reference, Status: a.Status})
	return http.StatusOK, *a
}

func (s *Sandbox) refund(r *http.Request, body []byte, key string) (int, any) {
	id := mux.Vars(r)["id"]
	c, ok := s.ledger.captures[id]
	if !ok {
		return paymentFailure(http.StatusNotFound, "resource_missing", fmt.Sprintf("No such capture: '%s'", id))
	}
	var req amountRequest
	if err := decodeJSON(body, &req); err != nil {
		return paymentFailure(http.StatusBadRequest, "invalid_request", err.Error())
	}
	remaining := c.Amount - c.AmountRefunded
	if remaining == 0 {
		return paymentFailure(http.StatusConflict, "already_refunded", "This capture has already been fully refunded.")
	}
	amount := req.Amount
	if amount == 0 {
		amount = remaining
	}
	if amount < 0 || amount > remaining {
		return paymentFailure(http.StatusBadRequest, "invalid_amount", fmt.Sprintf("refund amount must be between 1 and the %d left to refund", remaining))
	}
	c.AmountRefunded += amount
	rf := refund{ID: newID("re_", 12), CaptureID: c.ID, Status: "refunded", Amount: amount}
	s.recordPayment(PaymentOperation{Kind: "refund", ID: rf.ID, IdempotencyKey: key, Amount: amount, Reference: c.reference, Status: rf.Status})
	return http.StatusOK, rf
}

// findAuthorizations is GET /v1/authorizations?reference=: the
// authorizations made for one order, oldest first, as a gateway's search
// would list them.
func (s *Sandbox) findAuthorizations(w http.ResponseWriter, r *http.Request) {
	reference := r.URL.Query().Get("reference")
	s.mu.Lock()
	found := []authorization{}
	for _, op := range s.ledger.operations {
		if a := s.ledger.authorizations[op.ID]; op.Kind == "authorize" && a != nil && a.Reference == reference {
			found = append(found, *a)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": found})
}

// recordPayment appends op, stamped with the current time. Callers hold s.mu.
func (s *Sandbox) recordPayment(op PaymentOperation) {
	op.Time = s.now()
	s.ledger.operations = append(s.ledger.operations, op)
	s.log.Info("sandbox: payment "+op.Kind, "id", op.ID, "amount", op.Amount, "reference", op.Reference)
}
