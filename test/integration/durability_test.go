package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// placeSlowOrders places n orders while the gateway answers slowly, so they
// are all in flight when the caller pulls a server out from under them.
func placeSlowOrders(t *testing.T, n int) []string {
	t.Helper()
	require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 700}))
	t.Cleanup(stack.sandbox.ClearFaults)
	var ids []string
	for range n {
		status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
		require.Equal(t, 202, status, "%v", body)
		ids = append(ids, body["id"].(string))
	}
	waitForStep(t, ids[len(ids)-1], workflows.StepAuthorizePayment, workflows.StepRunning)
	return ids
}

func requireAllCompleteWithOneCapture(t *testing.T, ids []string) {
	t.Helper()
	for _, id := range ids {
		o := waitForFinal(t, id)
		require.Equal(t, orders.StatusCompleted, o.Status, "order %s: %s", id, o.FailureReason)
		require.Len(t, paymentOps("capture", id+":"), 1, "order %s captured once", id)
	}
}

func TestOrdersSurviveAPostgreSQLRestart(t *testing.T) {
	onHandBefore, _ := stockOf(t, "MUG-CERAMIC")
	ids := placeSlowOrders(t, 5)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, stack.infra.Postgres.Restart(ctx))

	requireAllCompleteWithOneCapture(t, ids)
	onHand, _ := stockOf(t, "MUG-CERAMIC")
	require.Equal(t, onHandBefore-len(ids), onHand, "each order took its unit once")
}

func TestOrdersSurviveATemporalRestart(t *testing.T) {
	ids := placeSlowOrders(t, 5)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, stack.infra.Temporal.Restart(ctx))

	requireAllCompleteWithOneCapture(t, ids)
}
