package payments_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/payments"
)

// newGateway starts a sandbox on loopback and returns a client for it.
func newGateway(t *testing.T) (*payments.HTTPGateway, *sandbox.Sandbox) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return payments.NewHTTPGateway(srv.URL, nil), sb
}

func authorize(t *testing.T, gw payments.Gateway, key string, amount int64) payments.Authorization {
	t.Helper()
	auth, err := gw.Authorize(context.Background(), payments.AuthorizeRequest{
		IdempotencyKey: key, Amount: amount, Currency: "usd", Token: "tok_visa", Reference: "order-1",
	})
	require.NoError(t, err)
	return auth
}

func requireDeclined(t *testing.T, err error, code string) {
	t.Helper()
	var declined *payments.DeclinedError
	require.ErrorAs(t, err, &declined)
	assert.Equal(t, code, declined.Code)
	assert.True(t, payments.IsPermanent(err))
}

func kinds(ops []sandbox.PaymentOperation) []string {
	var out []string
	for _, op := range ops {
		out = append(out, op.Kind)
	}
	return out
}

func TestAuthorizeCaptureRefund(t *testing.T) {
	gw, sb := newGateway(t)
	ctx := context.Background()

	auth := authorize(t, gw, "order-1/authorize", 1234)
	assert.Regexp(t, `^auth_[0-9a-f]{24}$`, auth.ID)
	assert.Equal(t, payments.Authorization{ID: auth.ID, Status: "authorized", Amount: 1234, Currency: "USD", Reference: "order-1"}, auth)

	capture, err := gw.Capture(ctx, auth.ID, 0, "order-1/capture")
	require.NoError(t, err)
	assert.Equal(t, payments.Capture{ID: capture.ID, AuthorizationID: auth.ID, Status: "captured", Amount: 1234}, capture)

	refund, err := gw.Refund(ctx, capture.ID, 500, "order-1/refund")
	require.NoError(t, err)
	assert.Equal(t, payments.Refund{ID: refund.ID, CaptureID: capture.ID, Status: "refunded", Amount: 500}, refund)

	ops := sb.PaymentOperations()
	assert.Equal(t, []string{"authorize", "capture", "refund"}, kinds(ops))
	for _, op := range ops {
		assert.Equal(t, "order-1", op.Reference, op.Kind)
	}
}

func TestAuthorizeRefusalsArePermanent(t *testing.T) {
	gw, sb := newGateway(t)
	tests := []struct {
		name   string
		req    payments.AuthorizeRequest
		status int
		code   string
	}{
		{"declined card", payments.AuthorizeRequest{IdempotencyKey: "k1", Amount: 100, Currency: "USD", Token: "tok_declined"}, 402, "card_declined"},
		{"insufficient funds", payments.AuthorizeRequest{IdempotencyKey: "k2", Amount: 100, Currency: "USD", Token: "tok_insufficient_funds"}, 402, "insufficient_funds"},
		{"unknown token", payments.AuthorizeRequest{IdempotencyKey: "k3", Amount: 100, Currency: "USD", Token: "tok_nope"}, 400, "invalid_token"},
		{"zero amount", payments.AuthorizeRequest{IdempotencyKey: "k4", Amount: 0, Currency: "USD", Token: "tok_visa"}, 400, "invalid_amount"},
		{"no idempotency key", payments.AuthorizeRequest{Amount: 100, Currency: "USD", Token: "tok_visa"}, 400, "missing_idempotency_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gw.Authorize(context.Background(), tt.req)
			requireDeclined(t, err, tt.code)
			var declined *payments.DeclinedError
			require.ErrorAs(t, err, &declined)
			assert.Equal(t, tt.status, declined.Status)
		})
	}
	assert.Empty(t, sb.PaymentOperations(), "refusals are not operations")
}

func TestGatewayErrorIsTransientAndNotRemembered(t *testing.T) {
	gw, _ := newGateway(t)
	req := payments.AuthorizeRequest{IdempotencyKey: "order-2/authorize", Amount: 100, Currency: "USD", Token: "tok_error"}

	_, err := gw.Authorize(context.Background(), req)
	require.Error(t, err)
	assert.False(t, payments.IsPermanent(err))
	assert.Contains(t, err.Error(), "500")

	// Had the 500 been stored, another body under the same key would be refused.
	req.Token = "tok_visa"
	_, err = gw.Authorize(context.Background(), req)
	require.NoError(t, err)
}

func TestIdempotentReplay(t *testing.T) {
	gw, sb := newGateway(t)
	auth := authorize(t, gw, "order-3/authorize", 1000)
	again := authorize(t, gw, "order-3/authorize", 1000)
	assert.Equal(t, auth, again)

	first, err := gw.Capture(context.Background(), auth.ID, 1000, "order-3/capture")
	require.NoError(t, err)
	second, err := gw.Capture(context.Background(), auth.ID, 1000, "order-3/capture")
	require.NoError(t, err)
	assert.Equal(t, first, second)

	assert.Equal(t, []string{"authorize", "capture"}, kinds(sb.PaymentOperations()))
}

func TestConcurrentRetriesCaptureOnce(t *testing.T) {
	gw, sb := newGateway(t)
	auth := authorize(t, gw, "order-4/authorize", 1000)

	ids := make(chan string, 10)
	var wg sync.WaitGroup
	for range cap(ids) {
		wg.Go(func() {
			c, err := gw.Capture(context.Background(), auth.ID, 0, "order-4/capture")
			assert.NoError(t, err)
			ids <- c.ID
		})
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		assert.Equal(t, first, id)
	}
	assert.Equal(t, []string{"authorize", "capture"}, kinds(sb.PaymentOperations()))
}

func TestIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	gw, _ := newGateway(t)
	authorize(t, gw, "shared-key", 1000)
	_, err := gw.Authorize(context.Background(), payments.AuthorizeRequest{
		IdempotencyKey: "shared-key", Amount: 2000, Currency: "USD", Token: "tok_visa", Reference: "order-1",
	})
	requireDeclined(t, err, "idempotency_key_reused")
}

func TestVoidAndCaptureStates(t *testing.T) {
	gw, _ := newGateway(t)
	ctx := context.Background()

	captured := authorize(t, gw, "a1", 500)
	_, err := gw.Capture(ctx, captured.ID, 0, "a1/capture")
	require.NoError(t, err)
	requireDeclined(t, gw.Void(ctx, captured.ID, "a1/void"), "already_captured")
	_, err = gw.Capture(ctx, captured.ID, 0, "a1/capture-again")
	requireDeclined(t, err, "already_captured")

	voided := authorize(t, gw, "a2", 500)
	require.NoError(t, gw.Void(ctx, voided.ID, "a2/void"))
	require.NoError(t, gw.Void(ctx, voided.ID, "a2/void-retry"), "voiding twice is a successful compensation")
	_, err = gw.Capture(ctx, voided.ID, 0, "a2/capture")
	requireDeclined(t, err, "authorization_voided")

	_, err = gw.Capture(ctx, "auth_missing", 0, "a3/capture")
	requireDeclined(t, err, "resource_missing")
}

func TestRefundIsIdempotentByKey(t *testing.T) {
	gw, sb := newGateway(t)
	ctx := context.Background()
	auth := authorize(t, gw, "r1", 1000)
	capture, err := gw.Capture(ctx, auth.ID, 0, "r1/capture")
	require.NoError(t, err)

	first, err := gw.Refund(ctx, capture.ID, 0, "r1/refund")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), first.Amount, "0 refunds everything")
	second, err := gw.Refund(ctx, capture.ID, 0, "r1/refund")
	require.NoError(t, err)
	assert.Equal(t, first, second)

	_, err = gw.Refund(ctx, capture.ID, 1, "r1/refund-more")
	requireDeclined(t, err, "already_refunded")
	assert.Equal(t, []string{"authorize", "capture", "refund"}, kinds(sb.PaymentOperations()))
}

func TestFaultsAreTransient(t *testing.T) {
	gw, sb := newGateway(t)
	require.NoError(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, Status: 503, Times: 1}))

	_, err := gw.Authorize(context.Background(), payments.AuthorizeRequest{IdempotencyKey: "f1", Amount: 100, Currency: "USD", Token: "tok_visa"})
	require.Error(t, err)
	assert.False(t, payments.IsPermanent(err))
	authorize(t, gw, "f1", 100)

	require.NoError(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 2000}))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = gw.Authorize(ctx, payments.AuthorizeRequest{IdempotencyKey: "f2", Amount: 100, Currency: "USD", Token: "tok_visa"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
	assert.False(t, payments.IsPermanent(err))
	assert.Less(t, time.Since(start), 2*time.Second)
}
