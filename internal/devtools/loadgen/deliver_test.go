package loadgen

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// The api and the sandbox carrier as deliver sees them: the order's parcels
// are planned, then booked, a read or two after it completed, and a
// parcel's move shows a read after the carrier took it (its callback), so
// a move on before the last one shows is refused here as overtaking it.
func TestDeliverMovesEachParcelAStatusAtATime(t *testing.T) {
	var (
		mu    sync.Mutex
		reads int
		order = orderView{ID: "o-1", Status: orders.StatusCompleted}
		moved = map[string]orders.ShipmentStatus{} // carrier ID -> where it was taken, not yet shown
		moves []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/orders/o-1":
			reads++
			switch reads {
			case 2:
				order.Shipments = []parcelView{{ID: "shp-o-1-eu", Status: orders.ShipmentPending}, {ID: "shp-o-1-us", Status: orders.ShipmentPending}}
			case 3:
				order.Shipments[0].Status, order.Shipments[0].CarrierShipmentID = orders.ShipmentBooked, "c-eu"
			case 4:
				order.Shipments[1].Status, order.Shipments[1].CarrierShipmentID = orders.ShipmentBooked, "c-us"
			}
			for i, sh := range order.Shipments {
				if to, ok := moved[sh.CarrierShipmentID]; ok {
					order.Shipments[i].Status = to
					delete(moved, sh.CarrierShipmentID)
				}
			}
			if parcelsAt(order, orders.ShipmentDelivered) {
				order.Status = orders.StatusDelivered
			}
			_ = json.NewEncoder(w).Encode(order)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/_sandbox/carrier/shipments/"):
			if r.Header.Get("Authorization") != "" {
				t.Error("the customer's token went to the sandbox")
			}
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sandbox/carrier/shipments/"), "/advance")
			var body struct{ To orders.ShipmentStatus }
			_ = json.NewDecoder(r.Body).Decode(&body)
			if _, ok := moved[id]; ok {
				t.Errorf("%s moved on to %s before its last move showed", id, body.To)
			}
			moved[id] = body.To
			moves = append(moves, id+":"+string(body.To))
			_ = json.NewEncoder(w).Encode(map[string]string{"id": "evt"})
		default:
			t.Errorf("%s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := newCaller(srv.URL, "", "", 1)
	c.token = "tok"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := deliver(ctx, c, srv.URL, "o-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c-eu:in_transit", "c-us:in_transit", "c-eu:out_for_delivery", "c-us:out_for_delivery", "c-eu:delivered", "c-us:delivered"}
	if got.Status != orders.StatusDelivered || !slices.Equal(moves, want) {
		t.Fatalf("%+v after moves %v", got, moves)
	}
}

func TestADeliveredOrdersWorkflowsAreItsWholeLife(t *testing.T) {
	got := orderWorkflows(sample{id: "o-1", status: "delivered", shipments: []string{"shp-o-1-eu", "shp-o-1-us"}})
	if len(got) != 2+3+2 || !slices.Contains(got, "shp-o-1-us") {
		t.Fatalf("%v: want the saga, the reservation, three notifications and two shipments", got)
	}
	if got := orderWorkflows(sample{id: "o-1", status: "failed"}); len(got) != 3 {
		t.Fatalf("%v: want the saga, the reservation and the outcome's notification", got)
	}
}
