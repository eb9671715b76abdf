package integration

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/workflows"
)

var skuSeq atomic.Int64

// newTestSKU adds a product of the test's own to the catalogue and receives
// its stock per warehouse through the admin API.
func newTestSKU(t *testing.T, stock map[string]int) string {
	t.Helper()
	sku := fmt.Sprintf("IT-%d-%d", time.Now().UnixNano(), skuSeq.Add(1))
	require.NoError(t, inventory.NewStore(stack.db).AddProduct(context.Background(),
		inventory.Product{SKU: sku, Name: "Test product " + sku, Price: 1000, Currency: "USD"}))
	for wh, qty := range stock {
		status, _, body := post(t, "/api/inventory/"+sku+"/adjustments", fmt.Sprintf(`{"warehouse":%q,"delta":%d,"reason":"test stock"}`, wh, qty), asAdmin)
		require.Equal(t, http.StatusCreated, status, "%v", body)
	}
	return sku
}

// stockLevel reads GET /api/inventory/{sku}, which is served from Redis.
func stockLevel(t *testing.T, sku string) inventory.StockLevel {
	t.Helper()
	var level inventory.StockLevel
	require.Equal(t, http.StatusOK, getAs(t, "/api/inventory/"+sku, &level))
	return level
}

// requireLedgerMatchesStock runs `orderflow inventory-rebuild --check`: every
// stock row must equal the replay of its ledger.
func requireLedgerMatchesStock(t *testing.T) {
	t.Helper()
	cmd := exec.Command(inventoryWorker.binary, "inventory-rebuild", "--check")
	cmd.Env = []string{"DATABASE_URL=" + stack.cfg.DatabaseURL, "REDIS_URL=" + stack.cfg.RedisURL, "KAFKA_BROKERS=" + strings.Join(stack.cfg.KafkaBrokers, ",")}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ledger replay differs from the stock rows:\n%s", out)
	require.Contains(t, string(out), "every stock row equals the replay of its ledger")
}

// 200 customers order the last 50 units of a SKU, stocked in two
// warehouses, at once: exactly 50 are sold, the others are told it is out of
// stock, no warehouse ever shows negative availability, and the ledger
// replays to exactly the stock rows.
func TestConcurrentOrdersNeverOversell(t *testing.T) {
	const placed, units = 200, 50
	sku := newTestSKU(t, map[string]int{"eu-west": 30, "us-east": 20})

	// Watch availability, through the cached API, for the whole run.
	stopWatching := make(chan struct{})
	var samples int
	watched := make(chan error, 1)
	stop := sync.OnceFunc(func() { close(stopWatching) })
	// A failing check below ends the test early: the watcher stops first,
	// so it never reports into a finished test.
	watcherDone := make(chan struct{})
	t.Cleanup(func() {
		stop()
		<-watcherDone
	})
	go func() {
		defer close(watcherDone)
		for {
			select {
			case <-stopWatching:
				watched <- nil
				return
			case <-time.After(20 * time.Millisecond):
			}
			level := stockLevel(t, sku)
			for _, w := range level.Warehouses {
				if w.Available < 0 || w.Reserved < 0 || w.Available != w.OnHand-w.Reserved {
					watched <- fmt.Errorf("%s shows on_hand %d, reserved %d, available %d", w.WarehouseID, w.OnHand, w.Reserved, w.Available)
					return
				}
			}
			samples++
		}
	}()

	start := time.Now()
	ids := make([]string, placed)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 25) // 25 clients at a time
	for i := range placed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":1}],"payment":{"token":"tok_visa"}}`, sku)
			status, _, resp := post(t, "/api/orders", body)
			require.Equal(t, http.StatusAccepted, status, "%v", resp)
			ids[i] = resp["id"].(string)
		}()
	}
	wg.Wait()
	completed := 0
	for _, id := range ids {
		o := waitForFinal(t, id)
		switch o.Status {
		case orders.StatusCompleted:
			completed++
		case orders.StatusFailed:
			require.Contains(t, strings.ToLower(o.FailureReason), "out of stock", "order %s", id)
		default:
			t.Fatalf("order %s ended %s: %s", id, o.Status, o.FailureReason)
		}
	}
	elapsed := time.Since(start)
	stop()
	require.NoError(t, <-watched)
	require.Positive(t, samples)
	t.Logf("%d orders (%d sold) in %s: %.1f orders/s; availability sampled %d times", placed, completed, elapsed.Round(time.Millisecond),
		float64(placed)/elapsed.Seconds(), samples)

	require.Equal(t, units, completed)
	level := stockLevel(t, sku)
	require.Equal(t, inventory.StockTotals{OnHand: 0, Reserved: 0, Available: 0}, level.Totals)
	committed := 0
	page, err := inventory.NewStore(stack.db).Events(context.Background(), sku, 1000, "")
	require.NoError(t, err)
	for _, ev := range page.Events {
		if ev.Kind == inventory.EventCommitted {
			committed -= ev.OnHandDelta
		}
	}
	require.Equal(t, units, committed, "the ledger shows exactly 50 units sold")
	requireLedgerMatchesStock(t)
}

// A reservation that nobody confirms gives its stock back when its TTL runs
// out; a confirm after that finds it gone.
func TestUnconfirmedReservationExpiresAndReleasesItsStock(t *testing.T) {
	ctx := context.Background()
	sku := newTestSKU(t, map[string]int{"eu-west": 2, "us-east": 3})
	orderID := fmt.Sprintf("expiry-%d", time.Now().UnixNano())
	run, err := stack.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ReservationID(orderID), TaskQueue: workflows.InventoryTaskQueue,
	}, workflows.ReservationWorkflow, workflows.ReservationInput{
		OrderID: orderID, Lines: []inventory.Line{{SKU: sku, Quantity: 4}}, TTL: 2 * time.Second,
	})
	require.NoError(t, err)

	require.Eventually(t, func() bool { return stockLevel(t, sku).Totals.Reserved == 4 }, 10*time.Second, 20*time.Millisecond,
		"held across both warehouses")
	status, _, res := get(t, "/api/reservations/"+workflows.ReservationID(orderID), asAdmin)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "reserved", res["status"])
	require.Len(t, res["allocations"], 2)
	require.NotEmpty(t, res["expires_at"])

	var st workflows.ReservationState
	require.NoError(t, run.Get(ctx, &st))
	require.Equal(t, workflows.ReservationExpired, st.Status)
	require.Equal(t, inventory.StockTotals{OnHand: 5, Reserved: 0, Available: 5}, stockLevel(t, sku).Totals)
	_, _, res = get(t, "/api/reservations/"+workflows.ReservationID(orderID), asAdmin)
	require.Equal(t, "expired", res["status"])

	err = stack.temporal.SignalWorkflow(ctx, run.GetID(), "", workflows.SignalConfirmReservation, nil)
	require.ErrorContains(t, err, "already completed", "a late confirm fails cleanly")
	require.Equal(t, 0, stockLevel(t, sku).Totals.Reserved)
	requireLedgerMatchesStock(t)
}

// The inventory worker dies (SIGKILL) while an order holds stock and is
// being paid for. A new worker takes over the reservation's workflow from
// Temporal's history: the order completes and the stock is exactly right.
func TestInventoryWorkerKilledBetweenReserveAndConfirm(t *testing.T) {
	sku := newTestSKU(t, map[string]int{"eu-west": 3, "us-east": 2})
	authorizing := holdGateway(t, "authorize")

	body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":4}],"payment":{"token":"tok_visa"}}`, sku)
	status, _, resp := post(t, "/api/orders", body)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	id := resp["id"].(string)
	authorizing.waitFor(t, id) // the stock is held, the order not confirmed
	require.Equal(t, 4, stockLevel(t, sku).Totals.Reserved, "held before the crash")

	inventoryWorker.proc.Kill()
	require.NoError(t, startInventoryWorker(context.Background()))
	authorizing.release()

	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)
	require.Equal(t, inventory.StockTotals{OnHand: 1, Reserved: 0, Available: 1}, stockLevel(t, sku).Totals)
	page, err := inventory.NewStore(stack.db).Events(context.Background(), sku, 100, "")
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, ev := range page.Events {
		kinds[ev.Kind]++
	}
	require.Equal(t, map[string]int{inventory.EventReceived: 2, inventory.EventReserved: 2, inventory.EventCommitted: 2}, kinds,
		"each warehouse reserved once and sold once")
	requireLedgerMatchesStock(t)

	// The reservation was reserved by the killed worker and confirmed by the new one.
	workers := map[string]bool{}
	history := stack.temporal.GetWorkflowHistory(context.Background(), workflows.ReservationID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for history.HasNext() {
		ev, err := history.Next()
		require.NoError(t, err)
		if done := ev.GetWorkflowTaskCompletedEventAttributes(); done != nil {
			workers[done.GetIdentity()] = true
		}
	}
	require.Len(t, workers, 2, "two worker processes ran the reservation: %v", workers)
}

// A read right after a change sees it, although reads are served from the
// cache and the change was made by another process (the inventory worker).
// The order stays within the transition budget (docs/architecture.md).
func TestStockReadsAreFreshAfterEveryChange(t *testing.T) {
	ctx := context.Background()
	sku := newTestSKU(t, map[string]int{"eu-west": 10})
	require.Equal(t, 10, stockLevel(t, sku).Totals.Available) // now cached
	require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 500}))
	t.Cleanup(stack.sandbox.ClearFaults)

	status, _, resp := post(t, "/api/orders", orderBody(sku, 3, "tok_visa"))
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	id := resp["id"].(string)
	waitForStep(t, id, workflows.StepReserveStock, workflows.StepCompleted)
	require.Equal(t, inventory.StockTotals{OnHand: 10, Reserved: 3, Available: 7}, stockLevel(t, sku).Totals)

	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)
	require.Equal(t, inventory.StockTotals{OnHand: 7, Reserved: 0, Available: 7}, stockLevel(t, sku).Totals)
	_, _, res := get(t, "/api/reservations/"+workflows.ReservationID(id), asAdmin)
	require.Equal(t, "committed", res["status"])

	transitions := 0
	for _, wf := range []string{orders.WorkflowID(id), workflows.ReservationID(id), notifications.WorkflowID(workflows.OrderNotificationID(id, orders.StatusCompleted))} {
		waitForClose(t, wf)
		desc, err := stack.temporal.DescribeWorkflowExecution(ctx, wf, "")
		require.NoError(t, err)
		t.Logf("%s: %d state transitions", wf, desc.WorkflowExecutionInfo.StateTransitionCount)
		transitions += int(desc.WorkflowExecutionInfo.StateTransitionCount)
	}
	require.LessOrEqual(t, transitions, 30, "an order's budget is about 30 state transitions end to end")
}

func TestInventoryAPI(t *testing.T) {
	sku := newTestSKU(t, map[string]int{"eu-west": 5})
	adjust := func(body, idempotencyKey string) (int, map[string]any) {
		status, hdr, resp := post(t, "/api/inventory/"+sku+"/adjustments", body, asAdmin, map[string]string{"Idempotency-Key": idempotencyKey})
		if status >= 400 {
			require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
		}
		return status, resp
	}

	status, _, product := get(t, "/api/products/"+sku)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, sku, product["sku"])
	require.Equal(t, float64(1000), product["price"])

	status, resp := adjust(`{"warehouse":"us-east","delta":4,"reason":"restock"}`, "adj-"+sku)
	require.Equal(t, http.StatusCreated, status, "%v", resp)
	ev := resp["event"].(map[string]any)
	require.Equal(t, "received", ev["kind"])
	require.Equal(t, "admin:"+stack.admin.User.ID, ev["actor"], "the ledger names the admin who adjusted")
	require.Equal(t, map[string]any{"on_hand": float64(9), "reserved": float64(0), "available": float64(9)}, resp["stock"].(map[string]any)["totals"])

	status, again := adjust(`{"warehouse":"us-east","delta":4,"reason":"restock"}`, "adj-"+sku)
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, ev["id"], again["event"].(map[string]any)["id"], "a repeated key returns the first adjustment")
	require.Equal(t, 9, stockLevel(t, sku).Totals.OnHand, "applied once")

	level := stockLevel(t, sku)
	require.Equal(t, inventory.StockLevel{SKU: sku, Totals: inventory.StockTotals{OnHand: 9, Available: 9}, Warehouses: []inventory.WarehouseStock{
		{WarehouseID: "eu-west", OnHand: 5, Available: 5, Version: 1},
		{WarehouseID: "us-east", OnHand: 4, Available: 4, Version: 1},
	}}, level)

	for _, tc := range []struct {
		name, body string
		status     int
		detail     string
	}{
		{"below available", `{"warehouse":"eu-west","delta":-6,"reason":"recount"}`, 409, "only 5 available"},
		{"zero delta", `{"warehouse":"eu-west","delta":0,"reason":"recount"}`, 422, "delta must be a non-zero integer"},
		{"huge delta", `{"warehouse":"eu-west","delta":2000000000,"reason":"recount"}`, 422, "delta must be"},
		{"no reason", `{"warehouse":"eu-west","delta":1}`, 422, "reason is required"},
		{"no warehouse", `{"delta":1,"reason":"x"}`, 422, "warehouse is required"},
		{"unknown warehouse", `{"warehouse":"mars","delta":1,"reason":"x"}`, 422, "warehouse is not a known warehouse"},
		{"unknown field", `{"warehouse":"eu-west","delta":1,"reason":"x","kind":"received"}`, 400, `unknown field "kind"`},
		{"wrong type", `{"warehouse":"eu-west","delta":"1","reason":"x"}`, 400, "delta"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := adjust(tc.body, "")
			require.Equal(t, tc.status, status, "%v", resp)
			require.Contains(t, resp["detail"], tc.detail)
		})
	}
	status, resp = adjust(`{"warehouse":"us-east","delta":5,"reason":"restock"}`, "adj-"+sku)
	require.Equal(t, http.StatusUnprocessableEntity, status, "the key was used for another adjustment: %v", resp)
	require.Equal(t, 9, stockLevel(t, sku).Totals.OnHand, "no refused adjustment changed stock")

	// The ledger, newest first, in pages.
	status, _, page := get(t, "/api/inventory/"+sku+"/events?limit=1", asAdmin)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, page["events"], 1)
	require.Equal(t, ev["id"], page["events"].([]any)[0].(map[string]any)["id"])
	status, _, page = get(t, "/api/inventory/"+sku+"/events?limit=1&cursor="+page["next_cursor"].(string), asAdmin)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "eu-west", page["events"].([]any)[0].(map[string]any)["warehouse_id"])
	require.Nil(t, page["next_cursor"], "the last page")

	for path, want := range map[string]int{
		"/api/products/NOPE":                         404,
		"/api/inventory/NOPE":                        404,
		"/api/inventory/NOPE/events":                 404,
		"/api/inventory/" + sku + "/events?limit=0":  400,
		"/api/inventory/" + sku + "/events?cursor=x": 400,
		"/api/reservations/res-nope":                 404,
	} {
		status, hdr, _ := get(t, path, asAdmin)
		require.Equal(t, want, status, path)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"), path)
	}
	status, _, _ = post(t, "/api/inventory/NOPE/adjustments", `{"warehouse":"eu-west","delta":1,"reason":"x"}`, asAdmin)
	require.Equal(t, http.StatusNotFound, status)

	// Every ledger event reaches Kafka as a CloudEvent with the ledger's ID.
	ce := readInventoryEvent(t, "stock-event-"+strconv.Itoa(int(ev["id"].(float64))))
	require.Equal(t, "inventory.received", ce.Type)
	require.Equal(t, sku, ce.Subject)
}

// readInventoryEvent reads inventory.events until it finds the CloudEvent
// with the given ID.
func readInventoryEvent(t *testing.T, id string) events.CloudEvent {
	t.Helper()
	ev, m := readEvent(t, events.InventoryTopic, "it-"+id, func(ev events.CloudEvent) bool { return ev.ID == id })
	require.Equal(t, ev.Subject, string(m.Key), "inventory events are keyed by SKU")
	return ev
}

// BenchmarkReservationWorkflow measures reservations per second through the
// whole ReservationWorkflow on the local stack (start, reserve, confirm,
// commit, each a Temporal round trip), from 16 clients per CPU:
//
//	go test -run '^$' -bench ReservationWorkflow -benchtime 400x ./test/integration/
func BenchmarkReservationWorkflow(b *testing.B) {
	ctx := context.Background()
	sku := fmt.Sprintf("BENCH-%d", time.Now().UnixNano())
	store := inventory.NewStore(stack.db)
	if err := store.AddProduct(ctx, inventory.Product{SKU: sku, Name: "Benchmark product", Price: 100, Currency: "USD"}); err != nil {
		b.Fatal(err)
	}
	for _, wh := range []string{"eu-west", "us-east"} {
		if _, err := store.Adjust(ctx, inventory.Adjustment{SKU: sku, WarehouseID: wh, Delta: 1 << 30, Reason: "benchmark", Actor: "benchmark"}); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			orderID := fmt.Sprintf("%s-%d", sku, seq.Add(1))
			// The confirm waits in the workflow's channel until the stock is held.
			run, err := stack.temporal.SignalWithStartWorkflow(ctx, workflows.ReservationID(orderID), workflows.SignalConfirmReservation, nil,
				client.StartWorkflowOptions{TaskQueue: workflows.InventoryTaskQueue}, workflows.ReservationWorkflow,
				workflows.ReservationInput{OrderID: orderID, Lines: []inventory.Line{{SKU: sku, Quantity: 1}}})
			if err != nil {
				b.Error(err)
				return
			}
			var st workflows.ReservationState
			if err := run.Get(ctx, &st); err != nil || st.Status != workflows.ReservationCommitted {
				b.Errorf("reservation %s: %s, %v", orderID, st.Status, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}
