package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/internal/devtools/testdb"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// PostgreSQL refuses a NUL in text for good: the bookkeeping write says so
// with a non-retryable error, so the saga goes on instead of retrying it for
// a week while holding the customer's stock and money. (The API refuses NUL
// at the edge; this is the line behind it.)
func TestRecordOrderStateRefusedForGoodIsNotRetried(t *testing.T) {
	pool, stop, err := testdb.Start(context.Background(), t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(stop)
	acts := &OrderActivities{Store: orders.NewStore(pool)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	in := orders.Input{OrderID: "o-nul", CustomerID: "c-1", Currency: "USD", Total: 100,
		Items: []orders.Item{{SKU: "MUG", Quantity: 1, UnitPrice: 100}}, PlacedAt: time.Now()}
	st := orders.State{OrderID: "o-nul", Status: orders.StatusCancelled, Version: 1, UpdatedAt: time.Now(),
		FailureReason: "Cancelled on request: a\x00b."}
	_, err = env.ExecuteActivity(acts.RecordOrderState, RecordOrderStateRequest{Input: in, State: st, Event: "order.cancelled"})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, ErrPermanentWrite, appErr.Type())
	require.True(t, appErr.NonRetryable())

	st.FailureReason = "Cancelled on request."
	_, err = env.ExecuteActivity(acts.RecordOrderState, RecordOrderStateRequest{Input: in, State: st, Event: "order.cancelled"})
	require.NoError(t, err, "a clean write goes through")
}
