package activities

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/payments"
)

// The void compensation against the real gateway client and the sandbox.
func TestVoidPaymentCompensatesWhateverTheGatewayDid(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	acts := &PaymentActivities{Gateway: payments.NewHTTPGateway(srv.URL, nil)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	authorize := func(order, token string) AuthorizePaymentRequest {
		return AuthorizePaymentRequest{IdempotencyKey: order + ":authorize", OrderID: order, Amount: 500, Currency: "USD", Token: token}
	}
	voidReq := func(order, authID string) VoidPaymentRequest {
		return VoidPaymentRequest{IdempotencyKey: order + ":void", AuthorizationID: authID,
			CaptureKey: order + ":capture", RefundKey: order + ":refund", Amount: 500}
	}
	ops := func(kind, order string) int {
		n := 0
		for _, op := range sb.PaymentOperations() {
			if op.Kind == kind && op.IdempotencyKey == order+":"+kind {
				n++
			}
		}
		return n
	}

	t.Run("authorization whose answer was lost is looked up and voided", func(t *testing.T) {
		// The gateway authorized, the saga never heard.
		_, err := acts.Gateway.Authorize(t.Context(), authorizeRequest(authorize("o1", "tok_visa")))
		require.NoError(t, err)
		req := voidReq("o1", "")
		req.OrderID = "o1"
		_, err = env.ExecuteActivity(acts.VoidPayment, req)
		require.NoError(t, err)
		require.Equal(t, 1, ops("authorize", "o1"), "the lookup authorized nothing new")
		require.Equal(t, 1, ops("void", "o1"))
	})

	t.Run("no authorization was made: nothing to void, nothing authorized", func(t *testing.T) {
		req := voidReq("o2", "")
		req.OrderID = "o2"
		_, err := env.ExecuteActivity(acts.VoidPayment, req)
		require.NoError(t, err)
		require.Zero(t, ops("authorize", "o2"))
		require.Zero(t, ops("void", "o2"))
	})

	t.Run("a void scheduled by an earlier version looks up instead of authorizing", func(t *testing.T) {
		// Such voids carried the authorization to replay; with tok_error
		// the replay failed for ever, and the order never ended.
		req := voidReq("o4", "")
		a := authorize("o4", "tok_error")
		req.Authorize = &a
		_, err := env.ExecuteActivity(acts.VoidPayment, req)
		require.NoError(t, err)
		require.Zero(t, ops("authorize", "o4"))
	})

	t.Run("authorization captured after all is refunded", func(t *testing.T) {
		auth, err := acts.Gateway.Authorize(t.Context(), authorizeRequest(authorize("o3", "tok_visa")))
		require.NoError(t, err)
		_, err = acts.Gateway.Capture(t.Context(), auth.ID, 500, "o3:capture") // its answer was lost
		require.NoError(t, err)
		_, err = env.ExecuteActivity(acts.VoidPayment, voidReq("o3", auth.ID))
		require.NoError(t, err)
		require.Equal(t, 1, ops("capture", "o3"), "the capture was found, not repeated")
		require.Equal(t, 1, ops("refund", "o3"))
	})
}

// The saga tells "the gateway said it did nothing" from "nobody knows":
// only the first lets it skip the void.
func TestAuthorizePaymentClassifiesGatewayFailures(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	// A client timeout far below the sandbox's injected latency.
	acts := &PaymentActivities{Gateway: payments.NewHTTPGateway(srv.URL, &http.Client{Timeout: 100 * time.Millisecond})}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	req := func(order, token string) AuthorizePaymentRequest {
		return AuthorizePaymentRequest{IdempotencyKey: order + ":authorize", OrderID: order, Amount: 500, Currency: "USD", Token: token}
	}
	errType := func(err error) string {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			return appErr.Type()
		}
		return ""
	}

	_, err := env.ExecuteActivity(acts.AuthorizePayment, req("e1", "tok_error"))
	require.Equal(t, ErrPaymentGatewayFailed, errType(err), "a 500 with the gateway's error body: %v", err)

	_, err = env.ExecuteActivity(acts.AuthorizePayment, req("e2", "tok_declined"))
	require.Equal(t, ErrPaymentDeclined, errType(err))

	require.NoError(t, sb.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 500}))
	_, err = env.ExecuteActivity(acts.AuthorizePayment, req("e3", "tok_visa"))
	require.Error(t, err)
	require.NotContains(t, []string{ErrPaymentGatewayFailed, ErrPaymentDeclined}, errType(err),
		"a timeout leaves the outcome unknown: %v", err)
}
