package sandbox

import (
	"net/http"
	"slices"
	"time"
)

// Message is an email, SMS, push notification or webhook the sandbox accepted.
type Message struct {
	Provider string `json:"provider"`
	ID       string `json:"id"` // X-Message-Id, Twilio SID, push ID or the receiver's own
	// Email: comma-separated recipients; push: the device token; webhook:
	// the receiver's name (/hooks/{name}).
	To      string `json:"to"`
	From    string `json:"from"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
	// IdempotencyKey is the caller's key: SendGrid custom_args
	// "idempotency_key", or the Idempotency-Key header sent to Twilio.
	// Neither provider deduplicates on it; it is recorded so tests can
	// check which attempt produced which message.
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	CustomArgs     map[string]string `json:"custom_args,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	StatusCallback string            `json:"status_callback,omitempty"`
	// Webhooks only: whether the signature verified, why not (Refusal,
	// answered 401), and the status the receiver answered. A receiver with
	// no secret verifies nothing: Verified false, Refusal empty.
	Verified bool      `json:"verified,omitempty"`
	Refusal  string    `json:"refusal,omitempty"`
	Status   int       `json:"status,omitempty"`
	Time     time.Time `json:"time"`
}

// PaymentOperation is a payment gateway operation that succeeded. Replays of
// an idempotency key are not operations and are not recorded again.
type PaymentOperation struct {
	Kind           string    `json:"kind"` // authorize, capture, void or refund
	ID             string    `json:"id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Amount         int64     `json:"amount"`
	Reference      string    `json:"reference"` // the order, for every kind
	Status         string    `json:"status"`
	Time           time.Time `json:"time"`
}

// Messages returns the accepted messages, oldest first.
func (s *Sandbox) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// PaymentOperations returns the recorded payment operations, oldest first.
func (s *Sandbox) PaymentOperations() []PaymentOperation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ledger.operations)
}

// Reset forgets every message and all payment state (authorizations,
// captures, idempotency keys). Faults and stats are kept.
func (s *Sandbox) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	clear(s.sms)
	s.ledger = newLedger()
}

// recordMessage appends m, stamped with the current time. Callers hold s.mu.
func (s *Sandbox) recordMessage(m Message) {
	m.Time = s.now()
	s.messages = append(s.messages, m)
	s.log.Info("sandbox: message accepted", "provider", m.Provider, "id", m.ID, "to", m.To)
}

func (s *Sandbox) listMessages(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(s.Messages()))
}

func (s *Sandbox) listPayments(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(s.PaymentOperations()))
}

func (s *Sandbox) resetRecordings(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
