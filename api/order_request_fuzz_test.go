package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// FuzzCreateOrderRequest: decoding and validating a POST /api/orders body,
// as the generated server and strictBody do before CreateOrder sees it, never panics and never answers
// 5xx; what passes respects the limits the rest of the system relies on.
// Seeds: f.Add below and testdata/fuzz/FuzzCreateOrderRequest.
func FuzzCreateOrderRequest(f *testing.F) {
	f.Add([]byte(`{"customer_id":"c-1","items":[{"sku":"SKU-1","quantity":2}],"payment":{"token":"tok_visa"},"contact":{"email":"a@example.com","phone":"+15005550006"}}`))
	f.Add([]byte(`{"customer_id":"c-1","items":[{"sku":"","quantity":-1}],"payment":{"token":""}}`))
	f.Add([]byte(`{"customer_id":"c 1","items":[{"sku":"S","quantity":99999999999999999999}],"payment":{"token":"t"}}`))
	f.Add([]byte(`{"customer_id":"c","items":[],"payment":{"token":"t"},"contact":{"email":"Bob <b@example.com>"}}`))
	f.Add([]byte(`{"customer_id":"c","items":null,"payment":null,"contact":{"phone":"+0"}}`))
	f.Add([]byte(`{"customer_id":1}`))
	f.Add([]byte(`{"customer_id":"\u0000"}`))
	f.Add([]byte(`{"Items":[{"sku":"SKU-1","quantity":1}],"Payment":{"token":"tok_visa"}}`))
	f.Add([]byte(`{"items":[{"sku":"SKU-1","quantity":1}],"payment":{"token":"a\u0000b"},"contact":{"phone":"+15005550006\u0000"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CreateOrderRequest
		var p *httpx.Problem
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&req); err != nil {
			p = httpx.JSONProblem(err)
		} else if p = httpx.CheckJSON(body, &req); p == nil {
			p = req.validate()
		}
		if p != nil {
			if p.Status < 400 || p.Status > 499 {
				t.Fatalf("status %d for %q", p.Status, body)
			}
			return
		}
		if len(req.Items) == 0 || len(req.Items) > maxItems || req.Payment.Token == "" || !httpx.IsText(req.Payment.Token) {
			t.Fatalf("accepted %+v", req)
		}
		for _, it := range req.Items {
			if it.Quantity < 1 || it.Quantity > maxQuantity || !httpx.IsText(it.Sku) {
				t.Fatalf("accepted item %+v", it)
			}
		}
	})
}
