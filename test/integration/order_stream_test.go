package integration

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sse"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// orderEvent is one event of an order's stream.
type orderEvent struct {
	id, event string
	order     orders.Order
}

// openStream opens GET /api/orders/{id}/stream with headers and sends its
// events on the returned channel, which closes when the stream ends.
func openStream(t *testing.T, id string, headers ...map[string]string) (*http.Response, <-chan orderEvent) {
	t.Helper()
	resp, err := http.DefaultClient.Do(request(t, http.MethodGet, stack.apiURL+"/api/orders/"+id+"/stream", "", headers...))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	events := make(chan orderEvent, 16)
	go func() {
		defer close(events)
		r := sse.NewReader(resp.Body)
		for {
			ev, err := r.Next()
			if err != nil {
				return
			}
			out := orderEvent{id: ev.ID, event: ev.Event}
			if json.Unmarshal([]byte(ev.Data), &out.order) != nil {
				return
			}
			events <- out
		}
	}()
	return resp, events
}

func nextEvent(t *testing.T, events <-chan orderEvent, within time.Duration) orderEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		require.True(t, ok, "the stream ended early")
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %s", within)
		return orderEvent{}
	}
}

// An order's stream sends its state at once and each change as it happens,
// ends after the final state, and resumes from Last-Event-ID: nothing again
// that the client has, and a 204 once there is nothing more to come.
func TestOrderStream(t *testing.T) {
	id := placeOrderNeedingApproval(t)
	resp, events := openStream(t, id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	first := nextEvent(t, events, 5*time.Second)
	require.Equal(t, "order", first.event)
	require.Equal(t, orders.StatusAwaitingApproval, first.order.Status)
	require.NotEmpty(t, first.id)
	select {
	case ev := <-events:
		t.Fatalf("an event while the order had not changed: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}

	// Rejected rather than approved: its hoodies go back for later tests.
	status, _, body := post(t, "/api/orders/"+id+"/reject", `{"reason":"test over"}`, asAdmin)
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	last := first
	for !last.order.Status.Final() {
		ev := nextEvent(t, events, 20*time.Second)
		require.NotEqual(t, last.id, ev.id, "an event repeated")
		last = ev
	}
	require.Equal(t, orders.StatusCancelled, last.order.Status)
	select {
	case _, open := <-events:
		require.False(t, open, "an event after the final state")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after the final state")
	}

	// Resumed from an earlier state: the final one at once, then the end.
	_, resumed := openStream(t, id, map[string]string{"Last-Event-ID": first.id})
	require.Equal(t, last.id, nextEvent(t, resumed, 5*time.Second).id)
	_, open := <-resumed
	require.False(t, open)

	// Resumed from the final state: nothing more will come.
	status, _, _ = get(t, "/api/orders/"+id+"/stream", map[string]string{"Last-Event-ID": last.id})
	require.Equal(t, http.StatusNoContent, status)

	// Another customer's order is not theirs to follow.
	// (A plain request: openStream's reader would race this one for the body.)
	other := newCustomer(t)
	status, hdr, raw := send(t, request(t, http.MethodGet, stack.apiURL+"/api/orders/"+id+"/stream", "", bearer(other.AccessToken)))
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, string(raw), "no order")
	require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
}

// A completed order's stream goes on with its parcel: each move is an
// event, and the stream ends once the order is delivered.
func TestOrderStreamFollowsTheParcelToTheDoor(t *testing.T) {
	o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
	_, events := openStream(t, o.ID)
	ev := nextEvent(t, events, 5*time.Second)
	require.Equal(t, orders.ShipmentBooked, ev.order.Shipments[0].Status)
	for _, want := range []orders.ShipmentStatus{orders.ShipmentInTransit, orders.ShipmentOutForDelivery, orders.ShipmentDelivered} {
		_, status, problem := stack.sandbox.AdvanceShipment(o.Shipments[0].CarrierShipmentID, "")
		require.Equal(t, http.StatusOK, status, problem)
		for ev.order.Shipments[0].Status != want {
			ev = nextEvent(t, events, 10*time.Second)
		}
	}
	for ev.order.Status != orders.StatusDelivered {
		ev = nextEvent(t, events, 10*time.Second)
	}
	select {
	case _, open := <-events:
		require.False(t, open, "an event after delivery")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after delivery")
	}
}
