package workflows

import (
	"errors"
	"slices"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// shipmentsChange marks orders that ship once completed. Orders recorded
// before it end at completed, and replay so.
const shipmentsChange = "shipments"

// ship starts a completed order's shipments: one ShipmentWorkflow child
// per warehouse its stock came from, on the fulfilment queue, planned in
// the read model first so the order moves to shipped and delivered only
// with all of them. The children outlive the order (ABANDON): the saga
// is done, a parcel takes days.
func (s *orderSaga) ship(ctx workflow.Context, allocations []inventory.Allocation) {
	if workflow.GetVersion(ctx, shipmentsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	list := shipmentsOf(s.in.OrderID, allocations)
	if len(list) == 0 {
		return
	}
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), orderActivities.PlanShipments, list).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("shipments not planned", "order_id", s.in.OrderID, "error", err)
		return
	}
	order := s.in
	order.PaymentToken = ""
	started := make([]workflow.ChildWorkflowFuture, len(list))
	for i, sh := range list {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        sh.ID,
			TaskQueue:         FulfilmentTaskQueue,
			ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
			// A reset order asks again: the parcel is on its way already.
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		})
		started[i] = workflow.ExecuteChildWorkflow(cctx, ShipmentWorkflow, ShipmentInput{Shipment: sh, Order: order})
	}
	for i, f := range started {
		err := f.GetChildWorkflowExecution().Get(ctx, nil)
		var already *temporal.ChildWorkflowExecutionAlreadyStartedError
		if err != nil && !errors.As(err, &already) {
			workflow.GetLogger(ctx).Error("shipment not started", "order_id", s.in.OrderID, "shipment_id", list[i].ID, "error", err)
		}
	}
}

// shipmentsOf groups a reservation's allocations by warehouse, in the
// order the warehouses first appear.
func shipmentsOf(orderID string, allocations []inventory.Allocation) []orders.Shipment {
	var list []orders.Shipment
	for _, a := range allocations {
		i := slices.IndexFunc(list, func(sh orders.Shipment) bool { return sh.WarehouseID == a.WarehouseID })
		if i < 0 {
			list = append(list, orders.Shipment{ID: orders.ShipmentID(orderID, a.WarehouseID), OrderID: orderID,
				WarehouseID: a.WarehouseID, Status: orders.ShipmentPending})
			i = len(list) - 1
		}
		list[i].Items = append(list[i].Items, orders.Line{SKU: a.SKU, Quantity: a.Quantity})
	}
	return list
}
