package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/internal/sandbox"
)

func orderBody(sku string, qty int, token string) string {
	b, _ := json.Marshal(map[string]any{
		"customer_id": "c-1",
		"items":       []map[string]any{{"sku": sku, "quantity": qty}},
		"payment":     map[string]string{"token": token},
		"contact":     map[string]string{"email": "a@example.com", "phone": "+15005550006"},
	})
	return string(b)
}

// post sends a JSON body and returns the status, headers and decoded body.
func post(t *testing.T, path, body string, headers map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, stack.apiURL+path, bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func get(t *testing.T, path string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, stack.apiURL+path, nil)
	require.NoError(t, err)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &body), "body: %s", raw)
	}
	return resp.StatusCode, resp.Header, body
}

// waitForStatus polls GET /api/orders/{id} until the order reaches one of
// the final statuses and returns it.
func waitForFinal(t *testing.T, id string) orders.Order {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(stack.apiURL + "/api/orders/" + id)
		require.NoError(t, err)
		var o orders.Order
		if resp.StatusCode == http.StatusOK { // a server being restarted answers 5xx for a moment
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&o))
		}
		resp.Body.Close()
		if o.Status == "completed" || o.Status == "failed" || o.Status == "cancelled" {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s still %q after 90s; steps: %+v", id, o.Status, o.Steps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stockOf returns a SKU's total on hand and reserved, read from PostgreSQL.
func stockOf(t *testing.T, sku string) (onHand, reserved int) {
	t.Helper()
	rows, err := inventory.NewStore(stack.db).Stock(context.Background(), sku)
	require.NoError(t, err)
	for _, r := range rows {
		onHand += r.OnHand
		reserved += r.Reserved
	}
	return onHand, reserved
}

// paymentOps returns the sandbox gateway's operations of one kind for an order.
func paymentOps(kind, keyPrefix string) []sandbox.PaymentOperation {
	var out []sandbox.PaymentOperation
	for _, op := range stack.sandbox.PaymentOperations() {
		if op.Kind == kind && len(op.IdempotencyKey) >= len(keyPrefix) && op.IdempotencyKey[:len(keyPrefix)] == keyPrefix {
			out = append(out, op)
		}
	}
	return out
}
