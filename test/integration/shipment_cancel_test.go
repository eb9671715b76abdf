package integration

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// A completed order cancelled before its parcels' pickup: both parcels are
// cancelled at the carrier, the stock is back on hand, the payment is
// refunded in full, and the order ends cancelled. A repeat changes nothing;
// an order whose parcel has left is refused.
func TestCompletedOrderIsCancelledBeforePickup(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1, "us-east": 1}, 2, 2)
	sku := o.Items[0].SKU
	onHand, _ := stockOf(t, sku)
	require.Equal(t, 0, onHand, "sold")

	status, _, body := post(t, "/api/orders/"+o.ID+"/cancel", `{"reason":"ordered twice"}`)
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, status, "%v", body)
	require.Eventually(t, func() bool {
		getAs(t, "/api/orders/"+o.ID, &o, asAdmin)
		return o.Status == orders.StatusCancelled && o.Refunded == o.Total
	}, 30*time.Second, 100*time.Millisecond, "cancelled and refunded: %s, %d of %d", o.Status, o.Refunded, o.Total)
	for _, sh := range o.Shipments {
		require.Equal(t, orders.ShipmentCancelled, sh.Status)
		waitForClose(t, sh.ID)
	}
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, 2, onHand, "both units back where they were picked")
	require.Zero(t, reserved)
	var refunds struct {
		Refunds []orders.Refund `json:"refunds"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+o.ID+"/refunds", &refunds, asAdmin))
	require.Len(t, refunds.Refunds, 2, "one per parcel")

	status, _, body = post(t, "/api/orders/"+o.ID+"/cancel", `{}`)
	require.Equal(t, http.StatusConflict, status, "%v", body)
	onHand, _ = stockOf(t, sku)
	require.Equal(t, 2, onHand, "restocked once")

	shipped := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
	shipped = advance(t, shipped, orders.ShipmentInTransit)
	status, _, body = post(t, "/api/orders/"+shipped.ID+"/cancel", `{}`)
	require.Equal(t, http.StatusConflict, status, "%v", body)
	require.Contains(t, body["detail"], "return it once delivered")
}
