package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// gatewayWatch follows the payment gateway's calls that carry one
// idempotency key, or (keyPrefix) the first key with that prefix.
type gatewayWatch struct {
	key       string
	keyPrefix string
	arrived   chan struct{} // closed when the first call arrives
	calls     atomic.Int32
	replayed  atomic.Int32 // calls answered with Idempotent-Replayed
}

var watchedGatewayKey atomic.Pointer[gatewayWatch]

// gatewayFinishesWatchedCalls stands in front of the sandboxes. A watched
// call is carried out even when its caller hangs up, as a real gateway does
// once it has the request: the sandbox alone would drop a call whose client
// is gone (its latency ends early), and a killed worker would then lose the
// capture itself instead of only its answer.
func gatewayFinishesWatchedCalls(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		holdIfAsked(r) // see gateway_hold_test.go
		watch := watchedGatewayKey.Load()
		if watch == nil || !watch.matches(r.Header.Get("Idempotency-Key")) {
			next.ServeHTTP(w, r)
			return
		}
		// The gateway has the request once it has its body: only then may
		// the test kill the caller (whose death would cut a body short).
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "the request's body was cut short", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if watch.calls.Add(1) == 1 {
			close(watch.arrived)
		}
		next.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
		if w.Header().Get("Idempotent-Replayed") == "true" {
			watch.replayed.Add(1)
		}
	})
}

// matches reports whether a call with key is watched; the first key with
// the prefix becomes the watched one.
func (w *gatewayWatch) matches(key string) bool {
	watchedKeyMu.Lock()
	defer watchedKeyMu.Unlock()
	if w.key == "" && w.keyPrefix != "" && strings.HasPrefix(key, w.keyPrefix) {
		w.key = key
	}
	return key != "" && key == w.key
}

var watchedKeyMu sync.Mutex

// The orders worker dies (SIGKILL) while its capture call is at the gateway:
// the gateway captures, the answer is lost. A new worker retries the capture
// with the same idempotency key, the gateway answers it from the first call
// instead of capturing again, and the order completes with one capture and
// its stock sold once. Takes about 15 s: the lost workflow task has to time
// out (see below).
func TestOrdersWorkerKilledDuringCaptureCapturesOnce(t *testing.T) {
	ctx := context.Background()
	ordersWorker := workerProcs[workflows.OrdersTaskQueue]
	sku := newTestSKU(t, map[string]int{"eu-west": 3})
	// Every gateway call takes 2 s, so the capture is still in flight when
	// the worker dies.
	require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 2000}))
	t.Cleanup(stack.sandbox.ClearFaults)

	body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":2}],"payment":{"token":"tok_visa"}}`, sku)
	status, _, resp := post(t, "/api/orders", body)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	id := resp["id"].(string)
	// In time: the capture comes after the authorization, which takes 2 s.
	watch := &gatewayWatch{key: id + ":capture", arrived: make(chan struct{})}
	watchedGatewayKey.Store(watch)
	t.Cleanup(func() { watchedGatewayKey.Store(nil) })

	waitForStep(t, id, workflows.StepCapturePayment, workflows.StepRunning)
	select { // the read model says "running" just before the call is made
	case <-watch.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the capture never reached the gateway")
	}
	ordersWorker.kill()
	require.NoError(t, ordersWorker.start(ctx))

	// The killed worker's call completes at the gateway 2 s after it came.
	require.Eventually(t, func() bool { return len(paymentOps("capture", id+":")) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the gateway captured for the dead worker")
	stack.sandbox.ClearFaults() // the retry need not wait 2 s more

	// Temporal learns of the lost call only when the dead worker's workflow
	// task times out (10 s, the default WorkflowTaskTimeout): the capture is
	// a local activity, made inside that task. The task then goes to the
	// normal queue, not the dead worker's sticky one, and the new worker
	// replays it and calls again with the same idempotency key.
	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)
	require.Len(t, paymentOps("capture", id+":"), 1, "captured once")
	require.EqualValues(t, 2, watch.calls.Load(), "the capture was called by the killed worker and by the new one")
	require.EqualValues(t, 1, watch.replayed.Load(), "the gateway answered the retry from its idempotency key")

	require.Equal(t, inventory.StockTotals{OnHand: 1, Reserved: 0, Available: 1}, stockLevel(t, sku).Totals, "sold once")
	page, err := inventory.NewStore(stack.db).Events(ctx, sku, 100, "")
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, ev := range page.Events {
		kinds[ev.Kind]++
	}
	require.Equal(t, map[string]int{inventory.EventReceived: 1, inventory.EventReserved: 1, inventory.EventCommitted: 1}, kinds)

	// The history shows the kill: the workflow task that made the capture
	// (a local activity, workflows/order_payments.go) timed out on the
	// killed worker, and another worker replayed it and finished the order.
	// No activity was scheduled for the capture.
	var startedBy, timedOutOn, lastWorkflowTaskBy string
	history := stack.temporal.GetWorkflowHistory(ctx, orders.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for history.HasNext() {
		ev, err := history.Next()
		require.NoError(t, err)
		if started := ev.GetWorkflowTaskStartedEventAttributes(); started != nil {
			startedBy = started.GetIdentity()
		}
		if timedOut := ev.GetWorkflowTaskTimedOutEventAttributes(); timedOut != nil {
			require.Equal(t, enums.TIMEOUT_TYPE_START_TO_CLOSE, timedOut.GetTimeoutType())
			timedOutOn = startedBy
		}
		if done := ev.GetWorkflowTaskCompletedEventAttributes(); done != nil {
			lastWorkflowTaskBy = done.GetIdentity()
		}
		if s := ev.GetActivityTaskScheduledEventAttributes(); s != nil {
			require.NotEqual(t, "CapturePayment", s.GetActivityType().GetName(), "the capture is a local activity")
		}
	}
	require.NotEmpty(t, timedOutOn, "the killed worker's workflow task timed out")
	require.NotEqual(t, timedOutOn, lastWorkflowTaskBy, "another worker finished the order")
}

// The orders worker dies (SIGKILL) while a refund's call is at the gateway:
// the gateway refunds, the answer is lost. The refund is a regular activity,
// so Temporal retries it on another worker once its attempt times out, with
// the same idempotency key: the gateway answers from the first call, and the
// customer is refunded once. Takes about 20 s (the attempt's 15 s timeout).
func TestOrdersWorkerKilledDuringRefundRefundsOnce(t *testing.T) {
	ctx := context.Background()
	ordersWorker := workerProcs[workflows.OrdersTaskQueue]
	id := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"))
	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, o.FailureReason)

	require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 2000}))
	t.Cleanup(stack.sandbox.ClearFaults)
	watch := &gatewayWatch{keyPrefix: "refund:", arrived: make(chan struct{})}
	watchedGatewayKey.Store(watch)
	t.Cleanup(func() { watchedGatewayKey.Store(nil) })

	status, _, body := post(t, "/api/orders/"+id+"/refunds", refundBody(500, "late delivery"), asAdmin, withKey("kill"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	refundID := body["id"].(string)
	select {
	case <-watch.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the refund never reached the gateway")
	}
	require.Equal(t, "refund:"+refundID, watch.key)
	ordersWorker.kill()
	require.NoError(t, ordersWorker.start(ctx))
	if !assert.Eventually(t, func() bool { return len(paymentOps("refund", watch.key)) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the gateway refunded for the dead worker") {
		var list struct{ Refunds []orders.Refund }
		getAs(t, "/api/orders/"+id+"/refunds", &list, asAdmin)
		t.Fatalf("watched %d calls of %s; the gateway's refunds %+v; the order's %+v",
			watch.calls.Load(), watch.key, paymentOps("refund", "refund:"), list.Refunds)
	}
	stack.sandbox.ClearFaults()

	var list struct{ Refunds []orders.Refund }
	require.Eventually(t, func() bool {
		require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/refunds", &list, asAdmin))
		return len(list.Refunds) == 1 && list.Refunds[0].Status != orders.RefundPending
	}, 60*time.Second, 100*time.Millisecond, "refunds %+v", list.Refunds)
	require.Equal(t, orders.RefundRefunded, list.Refunds[0].Status, list.Refunds[0].Failure)
	require.Len(t, paymentOps("refund", watch.key), 1, "refunded once")
	require.EqualValues(t, 2, watch.calls.Load(), "called by the killed worker and by another")
	require.EqualValues(t, 1, watch.replayed.Load(), "the gateway answered the retry from its idempotency key")
	require.EqualValues(t, 500, waitForFinal(t, id).Refunded)
}
