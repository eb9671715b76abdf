package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// parcelView is what a client reads of a shipment of its order.
type parcelView struct {
	ID                string                `json:"id"` // its workflow's too
	CarrierShipmentID string                `json:"carrier_shipment_id"`
	Status            orders.ShipmentStatus `json:"status"`
}

// journey is where the carrier takes a parcel after its pickup, a status
// at a time as a real one reports them: each is a tracking callback, a
// signal and a write, and the first to leave and the last to arrive each
// tell the customer.
var journey = []orders.ShipmentStatus{orders.ShipmentInTransit, orders.ShipmentOutForDelivery, orders.ShipmentDelivered}

// deliveryPoll is how often a delivery is read: each wait is for a state
// of the parcels (not of the order's status, which a long-poll names), and
// 50 ms is little beside a parcel's step.
const deliveryPoll = 50 * time.Millisecond

// deliver takes a completed order to its door: it waits for its parcels to
// be booked, moves each on at the sandbox carrier (at base URL sandbox) a
// status at a time, and waits for the order to show each status before the
// next, then for the order to be delivered. The carrier posts its callbacks
// in the background: a parcel moved on again at once could overtake its
// last one, which would then change nothing.
func deliver(ctx context.Context, c *caller, sandbox, id string) (orderView, error) {
	o, err := awaitOrder(ctx, c, id, booked)
	if err != nil {
		return o, fmt.Errorf("shipments of order %s not booked: %w", id, err)
	}
	for _, to := range journey {
		for _, sh := range o.Shipments {
			if err := advance(ctx, c.http, sandbox, sh.CarrierShipmentID, to); err != nil {
				return o, err
			}
		}
		if o, err = awaitOrder(ctx, c, id, func(o orderView) bool { return parcelsAt(o, to) }); err != nil {
			return o, fmt.Errorf("shipments of order %s not %s: %w", id, to, err)
		}
	}
	return awaitOrder(ctx, c, id, func(o orderView) bool { return o.Status == orders.StatusDelivered })
}

// booked reports whether o's parcels are planned and every one is booked
// at the carrier, so it can be moved on there.
func booked(o orderView) bool {
	for _, sh := range o.Shipments {
		if sh.CarrierShipmentID == "" {
			return false
		}
	}
	return parcelsAt(o, orders.ShipmentBooked)
}

// parcelsAt reports whether o has parcels and every one is in status st.
func parcelsAt(o orderView, st orders.ShipmentStatus) bool {
	for _, sh := range o.Shipments {
		if sh.Status != st {
			return false
		}
	}
	return len(o.Shipments) > 0
}

// awaitOrder reads order id every deliveryPoll until ok, or ctx ends.
func awaitOrder(ctx context.Context, c *caller, id string, ok func(orderView) bool) (orderView, error) {
	for {
		var o orderView
		if err := c.call(ctx, http.MethodGet, "/api/orders/"+id, nil, http.StatusOK, &o); err != nil {
			return o, err
		}
		if ok(o) {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(deliveryPoll):
		}
	}
}

// advance moves parcel id (the carrier's) on to status to, as its driver
// would; the sandbox then reports it to the api. The sandbox's control API
// takes no token: the customer's is not for it.
func advance(ctx context.Context, hc *http.Client, sandbox, id string, to orders.ShipmentStatus) error {
	body, _ := json.Marshal(map[string]orders.ShipmentStatus{"to": to})
	path := sandbox + "/_sandbox/carrier/shipments/" + url.PathEscape(id) + "/advance"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	return decode(resp, http.StatusOK, nil)
}
