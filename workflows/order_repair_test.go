package workflows

import (
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func (s *workflowSuite) runRepair(f *fakeServices, st orders.State) orders.State {
	t := s.T()
	t.Helper()
	env := s.env
	f.register(env)
	env.RegisterWorkflow(RepairOrderWorkflow)
	env.OnSignalExternalWorkflow(mock.Anything, "res-o-1", "", SignalReleaseReservation, mock.Anything).Return(nil)
	env.ExecuteWorkflow(RepairOrderWorkflow, RepairOrderInput{Order: testOrder(), State: st, ClosedAs: "Terminated"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out orders.State
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

// An order terminated while it awaited approval: its stock goes back, the
// authorization the gateway holds for it is found and voided, and it ends
// cancelled, newer than anything the terminated run recorded.
func (s *RepairOrderWorkflowSuite) TestRepairOfATerminatedOrderReleasesAndVoids() {
	t := s.T()
	f := &fakeServices{}
	last := orders.State{OrderID: "o-1", Status: orders.StatusAwaitingApproval, Version: 7, UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Steps: []orders.Step{{Name: StepReserveStock, Status: StepCompleted}, {Name: StepAuthorizePayment, Status: StepCompleted}, {Name: StepAwaitApproval, Status: StepRunning}}}
	st := s.runRepair(f, last)

	require.Equal(t, orders.StatusCancelled, st.Status)
	require.Equal(t, stoppedReason, st.FailureReason)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
	require.Equal(t, "o-1", f.lastVoid.OrderID)
	require.Empty(t, f.lastVoid.AuthorizationID, "looked up by the order, as the read model keeps no authorization ID")
	final := f.recorded[len(f.recorded)-1]
	require.Equal(t, "order.cancelled", final.Event)
	require.Greater(t, final.State.Version, last.Version)
	require.Equal(t, "Your order o-1 has been cancelled. "+stoppedReason+" You have not been charged.", f.lastEmail.Body)
}

// Terminated after its stock was sold (and so paid for): the order
// completed in all but its bookkeeping, and is recorded completed, then
// shipped from the warehouses the ledger says its stock came from.
func (s *RepairOrderWorkflowSuite) TestRepairOfAnOrderWhoseStockWasSoldCompletesAndShipsIt() {
	t := s.T()
	f := &fakeServices{
		releaseErr:  temporal.NewNonRetryableApplicationError("reservation was committed", activities.ErrReservationCommitted, nil),
		allocations: []inventory.Allocation{{SKU: "SKU-1", WarehouseID: "w1", Quantity: 1}, {SKU: "SKU-1", WarehouseID: "w2", Quantity: 1}},
	}
	st := s.runRepair(f, orders.State{OrderID: "o-1", Status: orders.StatusProcessing, Steps: []orders.Step{}})

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Zero(t, f.calls["VoidPayment"], "a sold order keeps its payment")
	require.Equal(t, "order.completed", f.recorded[len(f.recorded)-1].Event)
	require.Contains(t, f.lastEmail.Body, "is confirmed")
	require.Len(t, f.planned, 2, "one shipment per warehouse")
	require.Equal(t, 2, f.calls["ShipmentWorkflow"])
	require.Empty(t, f.shipped[0].Order.PaymentToken)
}
