package integration

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// A long-poll answers the moment the order's status moves on (woken by
// PostgreSQL's NOTIFY, not a timer), or after its wait with the order as
// it is; a user holds a bounded number at once; bad parameters are 400s.
func TestOrderLongPoll(t *testing.T) {
	id := placeOrderNeedingApproval(t)
	waiting := "/api/orders/" + id + "?status_not=awaiting_approval&wait="

	// Nothing changes: after the wait, the order as it is.
	var o orders.Order
	require.Equal(t, http.StatusOK, getAs(t, waiting+"1s", &o))
	require.Equal(t, orders.StatusAwaitingApproval, o.Status)

	// It changes: the wait ends with it.
	answered := make(chan orders.Order, 1)
	req := request(t, http.MethodGet, stack.apiURL+waiting+"25s", "")
	go func() {
		var o orders.Order
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&o)
			resp.Body.Close()
		}
		answered <- o
	}()
	require.Never(t, func() bool { return len(answered) > 0 }, 300*time.Millisecond, 20*time.Millisecond,
		"a long-poll answered while the order had not changed")
	// Rejected rather than approved: its hoodies go back for later tests.
	status, _, body := post(t, "/api/orders/"+id+"/reject", `{"reason":"test over"}`, asAdmin)
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	select {
	case o := <-answered:
		require.NotEqual(t, orders.StatusAwaitingApproval, o.Status)
	case <-time.After(20 * time.Second):
		t.Fatal("the long-poll did not answer when the order moved on")
	}

	// Already past the status: at once.
	final := waitForFinal(t, id)
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+id+"?status_not=processing&wait=25s", &o))
	require.Equal(t, final.Status, o.Status)

	for _, query := range []string{"?wait=5s", "?status_not=processing", "?wait=forever&status_not=processing",
		"?wait=90s&status_not=processing", "?wait=5s&status_not=teleported"} {
		status, _, _ := get(t, "/api/orders/"+id+query)
		require.Equal(t, http.StatusBadRequest, status, query)
	}
}

func TestOrderLongPollsAreBoundedPerUser(t *testing.T) {
	id := placeOrderNeedingApproval(t)
	// Rejected at the end (after the waits, cleanups run last first), so
	// its hoodies go back for the tests that follow.
	t.Cleanup(func() {
		status, _, body := post(t, "/api/orders/"+id+"/reject", `{"reason":"test over"}`, asAdmin)
		require.Equal(t, http.StatusAccepted, status, "%v", body)
		waitForFinal(t, id)
	})
	waiting := stack.apiURL + "/api/orders/" + id + "?status_not=awaiting_approval&wait=10s"
	// More than the 64 a user may hold: whichever arrive first hold them,
	// the others are refused at once.
	refused := make(chan struct{}, 70)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for range 70 {
		req := request(t, http.MethodGet, waiting, "", asAdmin) // built here: t is not for other goroutines
		wg.Go(func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
					refused <- struct{}{}
				}
			}
		})
	}
	select {
	case <-refused:
	case <-time.After(8 * time.Second):
		t.Fatal("70 waits of one user at once were all let through")
	}
	// The 64 are held: one more is refused, another user's is theirs.
	status, _, _ := get(t, "/api/orders/"+id+"?status_not=awaiting_approval&wait=1s", asAdmin)
	require.Equal(t, http.StatusTooManyRequests, status)
	var o orders.Order
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+id+"?status_not=awaiting_approval&wait=1s", &o, bearer(stack.customer.AccessToken)))
}
