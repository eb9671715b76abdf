package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workflows"
)

// waitForShipments polls the order until every shipment satisfies ok.
func waitForShipments(t *testing.T, id string, n int, ok func(orders.Shipment) bool) orders.Order {
	t.Helper()
	var o orders.Order
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		if len(o.Shipments) != n {
			return false
		}
		for _, sh := range o.Shipments {
			if !ok(sh) {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "shipments of %s: %+v", id, o.Shipments)
	return o
}

// placeBookedOrder places an order of qty of a new SKU stocked as stock,
// waits for it to complete, and returns it once its n parcels are booked.
func placeBookedOrder(t *testing.T, stock map[string]int, qty, n int) orders.Order {
	t.Helper()
	sku := newTestSKU(t, stock)
	status, _, resp := post(t, "/api/orders", orderBody(sku, qty, "tok_visa"))
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	id := resp["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	return waitForShipments(t, id, n, inStatus(orders.ShipmentBooked))
}

func inStatus(st orders.ShipmentStatus) func(orders.Shipment) bool {
	return func(sh orders.Shipment) bool { return sh.Status == st }
}

// advance moves every parcel of the order on at the carrier, as its
// drivers would, and waits for the shipments to show it.
func advance(t *testing.T, o orders.Order, to orders.ShipmentStatus) orders.Order {
	t.Helper()
	for _, sh := range o.Shipments {
		_, status, problem := stack.sandbox.AdvanceShipment(sh.CarrierShipmentID, "")
		require.Equal(t, http.StatusOK, status, problem)
	}
	return waitForShipments(t, o.ID, len(o.Shipments), inStatus(to))
}

// A two-warehouse order ships as two parcels, tracked by the carrier's
// signed callbacks to delivered; its customer hears when it ships and when
// it arrives; its whole life stays within the transition budget.
func TestOrderIsShippedAndDeliveredFromTwoWarehouses(t *testing.T) {
	ctx := context.Background()
	o := placeBookedOrder(t, map[string]int{"eu-west": 1, "us-east": 1}, 2, 2)
	id := o.ID
	warehouses := map[string]int{}
	for _, sh := range o.Shipments {
		warehouses[sh.WarehouseID] = sh.Items[0].Quantity
		require.NotEmpty(t, sh.TrackingNumber)
		require.Equal(t, carrier.Name, sh.Carrier)
		require.Equal(t, orders.ShipmentID(id, sh.WarehouseID), sh.ID)
	}
	require.Equal(t, map[string]int{"eu-west": 1, "us-east": 1}, warehouses)
	require.Equal(t, orders.StatusCompleted, o.Status)

	o = advance(t, o, orders.ShipmentInTransit)
	require.Equal(t, orders.StatusShipped, o.Status, "both parcels left")
	o = advance(t, o, orders.ShipmentOutForDelivery)
	o = advance(t, o, orders.ShipmentDelivered)
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		return o.Status == orders.StatusDelivered
	}, 10*time.Second, 50*time.Millisecond)
	for _, sh := range o.Shipments {
		require.NotNil(t, sh.ShippedAt)
		require.NotNil(t, sh.DeliveredAt)
	}

	// The customer was told it shipped and it arrived, each once.
	lifecycle := []string{orders.WorkflowID(id), workflows.ReservationID(id),
		notifications.WorkflowID(workflows.OrderNotificationID(id, orders.StatusCompleted)),
		notifications.WorkflowID(workflows.OrderNotificationID(id, orders.StatusShipped)),
		notifications.WorkflowID(workflows.OrderNotificationID(id, orders.StatusDelivered))}
	for _, sh := range o.Shipments {
		lifecycle = append(lifecycle, sh.ID)
	}
	transitions := 0
	for _, wf := range lifecycle {
		waitForClose(t, wf)
		desc, err := stack.temporal.DescribeWorkflowExecution(ctx, wf, "")
		require.NoError(t, err)
		t.Logf("%s: %d state transitions", wf, desc.WorkflowExecutionInfo.StateTransitionCount)
		transitions += int(desc.WorkflowExecutionInfo.StateTransitionCount)
	}
	t.Logf("the whole life: %d state transitions", transitions)
	// The shape costs 58: 16 for the order (4 of them starting its two
	// children), 7 for the reservation, 3 for each of three notifications
	// (their send a local activity first) and 13 for each parcel (9 of them
	// its three callbacks, a signal each). Temporal's reference app spends
	// about 100 on it.
	require.LessOrEqual(t, transitions, 60, "placed to delivered within 60 state transitions")

	var events struct {
		Events []orders.Event `json:"events"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+id+"/events", &events, asAdmin))
	var types []string
	for _, ev := range events.Events {
		types = append(types, ev.Type)
	}
	require.Subset(t, types, []string{"order.completed", "order.shipped", "order.delivered"})
}

// The API passes on only callbacks the carrier signed; a repeated or late
// one changes nothing.
func TestCarrierCallbacksAreVerifiedAndAppliedOnce(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
	id, sh := o.ID, o.Shipments[0]

	secret := []byte(config.Defaults[config.CarrierCallbacks]().CarrierWebhookSecret)
	callback := func(ev carrier.TrackingEvent, sign func(body []byte) string) int {
		body, err := json.Marshal(ev)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, stack.apiURL+api.CarrierWebhookPath, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if sign != nil {
			req.Header.Set(carrier.SignatureHeader, sign(body))
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	signed := func(body []byte) string { return carrier.Sign(secret, time.Now(), body) }
	delivered := carrier.TrackingEvent{ID: "evt_forged", ShipmentID: sh.CarrierShipmentID, Reference: sh.ID,
		Status: carrier.StatusDelivered, Sequence: 5, OccurredAt: time.Now().UTC()}

	require.Equal(t, http.StatusUnauthorized, callback(delivered, nil), "unsigned")
	require.Equal(t, http.StatusForbidden, callback(delivered, func(body []byte) string {
		return carrier.Sign([]byte("not the carrier's secret"), time.Now(), body)
	}), "forged")
	require.Equal(t, http.StatusForbidden, callback(delivered, func(body []byte) string {
		return carrier.Sign(secret, time.Now().Add(-time.Hour), body)
	}), "replayed an hour later")

	// The carrier's own first event, then the same again and an older one.
	ev, code, problem := stack.sandbox.AdvanceShipment(sh.CarrierShipmentID, carrier.StatusOutForDelivery)
	require.Equal(t, http.StatusOK, code, problem)
	before := waitForShipments(t, id, 1, inStatus(orders.ShipmentOutForDelivery)).Shipments[0]
	require.Equal(t, http.StatusNoContent, callback(ev, signed), "a repeat is acknowledged")
	late := ev
	late.ID, late.Status, late.Sequence = "evt_late", carrier.StatusInTransit, 0
	require.Equal(t, http.StatusBadRequest, callback(late, signed), "sequence numbers start at 1")
	late.Sequence = ev.Sequence // as old as the one applied
	require.Equal(t, http.StatusNoContent, callback(late, signed))
	unknown := ev
	unknown.ID, unknown.Status, unknown.Sequence = "evt_unknown", "teleported", ev.Sequence+1
	require.Equal(t, http.StatusBadRequest, callback(unknown, signed), "no status of ours")
	// The workflow has taken both signals (signals that come while a
	// workflow task runs join the history when it ends) and changed nothing.
	require.Eventually(t, func() bool { return signalsIn(t, sh.ID) == 3 }, 10*time.Second, 50*time.Millisecond)
	q, err := stack.temporal.QueryWorkflow(context.Background(), sh.ID, "", workflows.QueryStatus)
	require.NoError(t, err)
	var now orders.Shipment
	require.NoError(t, q.Get(&now))
	require.Equal(t, orders.ShipmentOutForDelivery, now.Status)
	require.Equal(t, before, shipmentOf(t, id), "the repeat and the late one wrote nothing")
	// A state the parcel can only reach by a later event shows the earlier
	// ones changed nothing.
	_, code, _ = stack.sandbox.AdvanceShipment(sh.CarrierShipmentID, "")
	require.Equal(t, http.StatusOK, code)
	o = waitForShipments(t, id, 1, inStatus(orders.ShipmentDelivered))
	require.Equal(t, orders.StatusDelivered, o.Status)

	// A callback for a shipment that has ended is acknowledged, so the
	// carrier stops retrying it.
	waitForClose(t, sh.ID)
	require.Equal(t, http.StatusNoContent, callback(delivered, signed))
}

// A lost parcel an admin refunds (by the CLI's signal) gives back its
// lines' share at the gateway, once, however often the decision comes.
func TestLostParcelIsRefundedOnTheRealStack(t *testing.T) {
	ctx := context.Background()
	o := placeBookedOrder(t, map[string]int{"eu-west": 1, "us-east": 1}, 2, 2)
	id, lost := o.ID, o.Shipments[0]
	_, code, problem := stack.sandbox.AdvanceShipment(lost.CarrierShipmentID, carrier.StatusLost)
	require.Equal(t, http.StatusOK, code, problem)
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		return o.Shipments[0].Status == orders.ShipmentLost
	}, 10*time.Second, 50*time.Millisecond)

	decision := workflows.LostParcelDecision{Action: workflows.LostParcelRefund, Reason: "not found", By: "ops@example.com"}
	require.NoError(t, stack.temporal.SignalWorkflow(ctx, lost.ID, "", workflows.SignalLostParcel, decision))
	require.NoError(t, stack.temporal.SignalWorkflow(ctx, lost.ID, "", workflows.SignalLostParcel, decision), "a repeat")
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		return o.Refunded == 1000
	}, 30*time.Second, 100*time.Millisecond, "one parcel's line refunded: %d", o.Refunded)
	var refunds struct {
		Refunds []orders.Refund `json:"refunds"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+id+"/refunds", &refunds, asAdmin))
	require.Len(t, refunds.Refunds, 1)
	require.Equal(t, orders.RefundRefunded, refunds.Refunds[0].Status)
	require.Equal(t, "ops@example.com", refunds.Refunds[0].RequestedBy)
	waitForClose(t, lost.ID)

	// The other parcel arrives: the order is delivered, the refunded one
	// no longer holding it back.
	_, code, problem = stack.sandbox.AdvanceShipment(o.Shipments[1].CarrierShipmentID, carrier.StatusDelivered)
	require.Equal(t, http.StatusOK, code, problem)
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+id, &o, asAdmin)
		return o.Status == orders.StatusDelivered
	}, 10*time.Second, 50*time.Millisecond, "order %s with parcels %+v", o.Status, o.Shipments)
	require.Equal(t, orders.ShipmentRefunded, o.Shipments[0].Status)
}

// A fulfilment worker killed while its parcels travel loses nothing: the
// callbacks that came meanwhile wait in the shipment's history, and the
// next worker applies them, booking nothing twice.
func TestAKilledFulfilmentWorkerLosesNoTracking(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
	id, sh := o.ID, o.Shipments[0]

	fulfilment := workerProcs[workflows.FulfilmentTaskQueue]
	fulfilment.kill()
	for range 2 {
		_, code, problem := stack.sandbox.AdvanceShipment(sh.CarrierShipmentID, "")
		require.Equal(t, http.StatusOK, code, problem)
	}
	require.Eventually(t, func() bool { // the api passed both callbacks on while no worker ran
		return signalsIn(t, sh.ID) == 2
	}, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, orders.ShipmentBooked, shipmentOf(t, id).Status, "nothing applied them yet")
	require.NoError(t, fulfilment.start(context.Background()))

	o = waitForShipments(t, id, 1, inStatus(orders.ShipmentOutForDelivery))
	require.Equal(t, orders.StatusShipped, o.Status)
	require.Equal(t, sh.CarrierShipmentID, o.Shipments[0].CarrierShipmentID, "booked once")
}

// signalsIn counts the signals in a workflow's history.
func signalsIn(t *testing.T, workflowID string) int {
	t.Helper()
	n := 0
	h := stack.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for h.HasNext() {
		ev, err := h.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED {
			n++
		}
	}
	return n
}

// shipmentOf is the order's only shipment, as the API shows it.
func shipmentOf(t *testing.T, orderID string) orders.Shipment {
	t.Helper()
	var o orders.Order
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+orderID, &o, asAdmin))
	require.Len(t, o.Shipments, 1)
	return o.Shipments[0]
}
