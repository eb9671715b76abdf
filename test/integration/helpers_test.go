package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
)

func orderBody(sku string, qty int, token string) string {
	b, _ := json.Marshal(map[string]any{
		"items":   []map[string]any{{"sku": sku, "quantity": qty}},
		"payment": map[string]string{"token": token},
		"contact": map[string]string{"email": "a@example.com", "phone": "+15005550006"},
	})
	return string(b)
}

// session is a signed-in user: the answer of POST /api/auth/login.
type session struct {
	AccessToken  string     `json:"access_token"`
	RefreshToken string     `json:"refresh_token"`
	User         users.User `json:"user"`
}

// credentials is the body of a sign-in or sign-up.
func credentials(email, password string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return string(b)
}

// signIn signs in at the API with an email and a password.
func signIn(email, password string) (session, error) {
	resp, err := http.Post(stack.apiURL+"/api/auth/login", "application/json", strings.NewReader(credentials(email, password)))
	if err != nil {
		return session{}, err
	}
	defer resp.Body.Close()
	var s session
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("sign-in of %s: %s", email, resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// testPassword signs in every account the tests create.
const testPassword = "correct horse battery staple"

var accountSeq atomic.Int64

// newEmail is an address no account has yet, in this run or an earlier one.
func newEmail(name string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", name, time.Now().UnixNano(), accountSeq.Add(1))
}

// newCustomer signs up a customer of the test's own and signs them in.
func newCustomer(t *testing.T) session {
	t.Helper()
	email := newEmail("it")
	status, _, body := post(t, "/api/auth/register", credentials(email, testPassword), anonymous)
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	s, err := signIn(email, testPassword)
	require.NoError(t, err)
	return s
}

// Requests are the demo customer's (stack.customer) unless their headers
// say otherwise: bearer(token) signs them in as someone else, asAdmin as the
// admin (set by TestMain), anonymous not at all.
var (
	asAdmin   map[string]string
	anonymous = map[string]string{"Authorization": ""}
)

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// request builds a request to url signed in as the demo customer; headers
// are applied in order, later ones winning, and an empty value removes the
// header.
func request(t *testing.T, method, url, body string, headers ...map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+stack.customer.AccessToken)
	for _, h := range headers {
		for k, v := range h {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
	}
	return req
}

// post sends a JSON body to the API and returns the status, headers and decoded body.
func post(t *testing.T, path, body string, headers ...map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	return do(t, request(t, http.MethodPost, stack.apiURL+path, body, headers...))
}

func get(t *testing.T, path string, headers ...map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	return do(t, request(t, http.MethodGet, stack.apiURL+path, "", headers...))
}

// getAs is get that decodes a 200 answer into out.
func getAs(t *testing.T, path string, out any, headers ...map[string]string) int {
	t.Helper()
	status, _, raw := send(t, request(t, http.MethodGet, stack.apiURL+path, "", headers...))
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, out), "body: %s", raw)
	}
	return status
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	status, hdr, raw := send(t, req)
	var body map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &body), "body: %s", raw)
	}
	return status, hdr, body
}

// send sends req and returns the answer's status, headers and body.
func send(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, raw
}

// waitForFinal polls the order, as the admin (who sees every customer's),
// until it reaches one of the final statuses and returns it.
func waitForFinal(t *testing.T, id string) orders.Order {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var o orders.Order
		getAs(t, "/api/orders/"+id, &o, asAdmin) // a server being restarted answers 5xx for a moment
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

// executionStatus is how the workflow's latest run stands ("Running",
// "Completed", "Canceled", ...).
func executionStatus(t *testing.T, workflowID string) string {
	t.Helper()
	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	return desc.WorkflowExecutionInfo.Status.String()
}

// waitForClose waits until the workflow's latest run has closed: its last
// workflow task, which upserts the final search attributes, lands after the
// read model shows the final status.
func waitForClose(t *testing.T, workflowID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
		return err == nil && desc.WorkflowExecutionInfo.CloseTime != nil
	}, 30*time.Second, 20*time.Millisecond, "%s did not close", workflowID)
}

// searchAttribute decodes one search attribute of the workflow into dst.
func searchAttribute(t *testing.T, workflowID, name string, dst any) {
	t.Helper()
	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	payload := desc.WorkflowExecutionInfo.SearchAttributes.GetIndexedFields()[name]
	require.NotNil(t, payload, "%s has no search attribute %s", workflowID, name)
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(payload, dst))
}
