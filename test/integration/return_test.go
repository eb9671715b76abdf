package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// returnBody asks to return qty of sku.
func returnBody(sku string, qty int) string {
	return fmt.Sprintf(`{"items":[{"sku":%q,"quantity":%d}],"reason":"too small"}`, sku, qty)
}

// waitForReturn polls the order's returns until the return is in status.
func waitForReturn(t *testing.T, orderID, id string, status orders.ReturnStatus) orders.Return {
	t.Helper()
	var list struct {
		Returns []orders.Return `json:"returns"`
	}
	var got orders.Return
	require.Eventually(t, func() bool {
		require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+orderID+"/returns", &list))
		for _, r := range list.Returns {
			if r.ID == id {
				got = r
			}
		}
		return got.Status == status
	}, 30*time.Second, 50*time.Millisecond, "return %s: %+v", id, got)
	return got
}

// A delivered order's customer returns one of its two units: the label is
// issued, the parcel comes back (its callbacks repeated), the unit goes
// back on hand in the warehouse it shipped from, and its share is refunded
// at the gateway, each once. A repeat finds the same return; a second
// return of more than is left is refused.
func TestDeliveredLineIsReturnedRestockedAndRefunded(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1, "us-east": 1}, 2, 2)
	sku, unit := o.Items[0].SKU, o.Items[0].UnitPrice
	status, _, body := post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 1), withKey("early"))
	require.Equal(t, http.StatusConflict, status, "nothing delivered yet: %v", body)
	o = advance(t, o, orders.ShipmentInTransit)
	o = advance(t, o, orders.ShipmentOutForDelivery)
	o = advance(t, o, orders.ShipmentDelivered)

	status, hdr, body := post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 1), withKey("ret-1"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	require.Equal(t, "/api/orders/"+o.ID+"/returns", hdr.Get("Location"))
	id := body["id"].(string)
	require.NotContains(t, body, "requested_by", "an admin's field")
	status, _, again := post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 1), withKey("ret-1"))
	require.Equal(t, http.StatusOK, status, "a repeat: %v", again)
	require.Equal(t, id, again["id"])

	r := waitForReturn(t, o.ID, id, orders.ReturnLabelIssued)
	require.NotEmpty(t, r.LabelURL)
	require.NotEmpty(t, r.TrackingNumber)
	require.Len(t, r.Items, 1)
	require.Equal(t, unit, r.Amount)
	warehouse := r.Items[0].WarehouseID
	before := rowsOf(t, sku)[warehouse]

	for range 3 {
		_, status, problem := stack.sandbox.AdvanceShipment(r.CarrierShipmentID, "")
		require.Equal(t, http.StatusOK, status, problem)
	}
	r = waitForReturn(t, o.ID, id, orders.ReturnRefunded)
	require.NotNil(t, r.ReceivedAt)
	var mine orders.Order
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+o.ID, &mine), "the customer's view")
	require.Len(t, mine.Returns, 1, "the order shows its return")
	require.Equal(t, orders.ReturnRefunded, mine.Returns[0].Status)
	require.Empty(t, mine.Returns[0].RequestedBy, "an admin's field")
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+o.ID, &o, asAdmin)
		return o.Refunded == unit
	}, 30*time.Second, 100*time.Millisecond, "one unit's share refunded: %d", o.Refunded)
	require.Equal(t, before+1, rowsOf(t, sku)[warehouse], "back on hand where it shipped from")
	require.Eventually(t, func() bool { return len(paymentOps("refund", "refund:"+r.RefundID)) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, unit, paymentOps("refund", "refund:"+r.RefundID)[0].Amount, "refunded at the gateway once, its share")
	waitForClose(t, id)

	page, err := inventory.NewStore(stack.db).Events(context.Background(), sku, 100, "")
	require.NoError(t, err)
	var returned int
	for _, ev := range page.Events {
		if ev.Kind == inventory.EventReturned {
			returned++
			require.Equal(t, o.ID, ev.OrderID)
		}
	}
	require.Equal(t, 1, returned, "one inventory.returned event")

	status, _, body = post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 2), withKey("ret-2"))
	require.Equal(t, http.StatusUnprocessableEntity, status, "one unit is left to return: %v", body)
	status, _, body = post(t, "/api/orders/"+o.ID+"/returns", `{"items":[],"reason":"nothing"}`, withKey("ret-3"))
	require.Equal(t, http.StatusUnprocessableEntity, status, "a return of nothing: %v", body)

	// Refunded in full by an admin: the last unit is no longer returnable.
	status, _, body = post(t, "/api/orders/"+o.ID+"/refunds", refundBody(o.Total-unit, "goodwill"), asAdmin, withKey("rest"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	status, _, body = post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 1), withKey("ret-4"))
	require.Equal(t, http.StatusConflict, status, "nothing left to give back: %v", body)
}

// rowsOf returns a SKU's on-hand stock by warehouse.
func rowsOf(t *testing.T, sku string) map[string]int {
	t.Helper()
	rows, err := inventory.NewStore(stack.db).Stock(context.Background(), sku)
	require.NoError(t, err)
	out := map[string]int{}
	for _, r := range rows {
		out[r.WarehouseID] = r.OnHand
	}
	return out
}

// A return whose workers are killed while its parcel comes back is
// restocked and refunded once all the same: the callbacks wait in its
// history, the restock waits on the inventory queue, and each step's key
// makes a retry change nothing.
func TestAReturnSurvivesKilledWorkers(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
	sku, unit := o.Items[0].SKU, o.Items[0].UnitPrice
	_, code, problem := stack.sandbox.AdvanceShipment(o.Shipments[0].CarrierShipmentID, carrier.StatusDelivered)
	require.Equal(t, http.StatusOK, code, problem)
	waitForShipments(t, o.ID, 1, inStatus(orders.ShipmentDelivered))
	status, _, body := post(t, "/api/orders/"+o.ID+"/returns", returnBody(sku, 1), withKey("kill"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	r := waitForReturn(t, o.ID, body["id"].(string), orders.ReturnLabelIssued)
	before := rowsOf(t, sku)["eu-west"]

	fulfilment, inventoryProc := workerProcs[workflows.FulfilmentTaskQueue], workerProcs[workflows.InventoryTaskQueue]
	fulfilment.kill()
	inventoryProc.kill()
	for range 3 {
		_, code, problem := stack.sandbox.AdvanceShipment(r.CarrierShipmentID, "")
		require.Equal(t, http.StatusOK, code, problem)
	}
	require.Eventually(t, func() bool { return signalsIn(t, r.ID) == 3 }, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, fulfilment.start(context.Background()))
	waitForReturn(t, o.ID, r.ID, orders.ReturnReceived)
	require.Equal(t, before, rowsOf(t, sku)["eu-west"], "no inventory worker to restock yet")
	fulfilment.kill() // again, while the restock waits
	require.NoError(t, inventoryProc.start(context.Background()))
	require.NoError(t, fulfilment.start(context.Background()))

	r = waitForReturn(t, o.ID, r.ID, orders.ReturnRefunded)
	waitForClose(t, r.ID)
	require.Equal(t, before+1, rowsOf(t, sku)["eu-west"], "restocked once")
	require.Eventually(t, func() bool { return len(paymentOps("refund", "refund:"+r.RefundID)) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Len(t, paymentOps("refund", "refund:"+r.RefundID), 1)
	require.Eventually(t, func() bool { // settled once the gateway's answer is recorded
		getAs(t, "/api/orders/"+o.ID, &o, asAdmin)
		return o.Refunded == unit
	}, 10*time.Second, 50*time.Millisecond, "refunded %d", o.Refunded)
}
