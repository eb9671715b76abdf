package integration

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sse"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// listStream is an open GET /api/streams/orders: its events, and the
// place the server named last (the id a reconnect sends).
type listStream struct {
	events <-chan orderEvent
	reader *sse.Reader
}

func openListStream(t *testing.T, query string, headers ...map[string]string) (*http.Response, listStream) {
	t.Helper()
	resp, err := http.DefaultClient.Do(request(t, http.MethodGet, stack.apiURL+"/api/streams/orders"+query, "", headers...))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	events := make(chan orderEvent, 256)
	st := listStream{events: events, reader: sse.NewReader(resp.Body)}
	go func() {
		defer close(events)
		for {
			ev, err := st.reader.Next()
			if err != nil {
				return
			}
			out := orderEvent{id: ev.ID, event: ev.Event}
			if ev.Event == "order" && json.Unmarshal([]byte(ev.Data), &out.order) != nil {
				return
			}
			events <- out
		}
	}()
	return resp, st
}

// untilFinal reads st until order id is final, and returns every event
// read meanwhile.
func (st listStream) untilFinal(t *testing.T, id string) []orderEvent {
	t.Helper()
	var seen []orderEvent
	for {
		ev := nextEvent(t, st.events, 30*time.Second)
		seen = append(seen, ev)
		if ev.order.ID == id && ev.order.Status.Final() {
			return seen
		}
	}
}

// A customer's list stream shows each of their orders as it changes, new
// ones included, and none of anyone else's; an admin's shows everyone's.
// Resumed from its last id, it sends what changed while it was away; from
// a place too old, or ahead of the database's clock, it tells the client
// to read its list again.
func TestListStream(t *testing.T) {
	other := newCustomer(t)
	resp, mine := openListStream(t, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	_, everyone := openListStream(t, "", asAdmin)

	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"),
		bearer(other.AccessToken), map[string]string{"Idempotency-Key": "list-stream-other"})
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	theirs := body["id"].(string)
	status, _, body = post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"), map[string]string{"Idempotency-Key": "list-stream-1"})
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	id := body["id"].(string)

	seen := mine.untilFinal(t, id)
	var statuses []orders.Status
	place := int64(0)
	for _, ev := range seen {
		require.Equal(t, "order", ev.event)
		require.NotEqual(t, theirs, ev.order.ID, "another customer's order")
		at, err := strconv.ParseInt(ev.id, 10, 64)
		require.NoError(t, err)
		require.GreaterOrEqual(t, at, place, "the stream's place never goes back")
		place = at
		if ev.order.ID == id {
			statuses = append(statuses, ev.order.Status)
		}
	}
	// States in quick succession may come as their latest only: the
	// stream reads a burst of changes at once.
	require.Equal(t, orders.StatusCompleted, statuses[len(statuses)-1])
	adminSaw := map[string]bool{}
	for !adminSaw[theirs] || !adminSaw[id] {
		ev := nextEvent(t, everyone.events, 30*time.Second)
		adminSaw[ev.order.ID] = adminSaw[ev.order.ID] || ev.order.Status.Final()
	}

	// Away while an order is placed and completed: it comes on resuming.
	resp.Body.Close()
	status, _, body = post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"), map[string]string{"Idempotency-Key": "list-stream-2"})
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	later := body["id"].(string)
	waitForFinal(t, later)
	_, resumed := openListStream(t, "", map[string]string{"Last-Event-ID": strconv.FormatInt(place, 10)})
	last := resumed.untilFinal(t, later)
	require.Equal(t, orders.StatusCompleted, last[len(last)-1].order.Status)

	_, old := openListStream(t, "", map[string]string{"Last-Event-ID": "1"})
	require.Equal(t, "reset", nextEvent(t, old.events, 5*time.Second).event)
	_, ahead := openListStream(t, "", map[string]string{"Last-Event-ID": "9223372036854775807"})
	require.Equal(t, "reset", nextEvent(t, ahead.events, 5*time.Second).event, "a place ahead of the database's clock")

	status, _, _ = get(t, "/api/streams/orders", map[string]string{"Last-Event-ID": "yesterday"})
	require.Equal(t, http.StatusBadRequest, status)
	status, _, _ = get(t, "/api/streams/orders?customer_id="+other.User.ID)
	require.Equal(t, http.StatusForbidden, status)
}
