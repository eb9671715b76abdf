package activities

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/sandbox"
	"github.com/orderflow/orderflow/workflows"
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

	authorize := func(order, token string) workflows.AuthorizePaymentRequest {
		return workflows.AuthorizePaymentRequest{IdempotencyKey: order + ":authorize", OrderID: order, Amount: 500, Currency: "USD", Token: token}
	}
	voidReq := func(order, authID string) workflows.VoidPaymentRequest {
		return workflows.VoidPaymentRequest{IdempotencyKey: order + ":void", AuthorizationID: authID,
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

	t.Run("authorization whose answer was lost is found and voided", func(t *testing.T) {
		// The gateway authorized, the saga never heard.
		_, err := acts.Gateway.Authorize(t.Context(), authorizeRequest(authorize("o1", "tok_visa")))
		require.NoError(t, err)
		req := voidReq("o1", "")
		a := authorize("o1", "tok_visa")
		req.Authorize = &a
		_, err = env.ExecuteActivity(acts.VoidPayment, req)
		require.NoError(t, err)
		require.Equal(t, 1, ops("authorize", "o1"), "the replay authorized nothing new")
		require.Equal(t, 1, ops("void", "o1"))
	})

	t.Run("declined authorization needs no void", func(t *testing.T) {
		req := voidReq("o2", "")
		a := authorize("o2", "tok_declined")
		req.Authorize = &a
		_, err := env.ExecuteActivity(acts.VoidPayment, req)
		require.NoError(t, err)
		require.Zero(t, ops("void", "o2"))
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
