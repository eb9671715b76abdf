package api

import (
	"crypto/sha256"
	"testing"
)

// The Idempotency-Key fingerprint keeps the layout the keys already claimed
// were hashed in: a retry after an upgrade matches its first request.
func TestRequestHashKeepsItsLayout(t *testing.T) {
	phone := "+15005550006"
	req := &CreateOrderRequest{Items: []OrderItemRequest{{Sku: "MUG-CERAMIC", Quantity: 2}}}
	req.Payment.Token = "tok_visa"
	if got, want := requestHash(req), sha256.Sum256([]byte(`{"items":[{"sku":"MUG-CERAMIC","quantity":2}],"payment":{"token":"tok_visa"},"contact":{}}`)); got != want {
		t.Errorf("without a contact: the fingerprint changed")
	}
	req.Contact = &struct {
		Email *string `json:"email,omitempty"`
		Phone *string `json:"phone,omitempty"`
	}{Phone: &phone}
	if got, want := requestHash(req), sha256.Sum256([]byte(`{"items":[{"sku":"MUG-CERAMIC","quantity":2}],"payment":{"token":"tok_visa"},"contact":{"phone":"+15005550006"}}`)); got != want {
		t.Errorf("with a phone: the fingerprint changed")
	}
}
