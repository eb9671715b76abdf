package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sse"
)

func TestBadOrderRequestsGetProblems(t *testing.T) {
	manyItems := make([]string, 101)
	for i := range manyItems {
		manyItems[i] = `{"sku":"MUG-CERAMIC","quantity":1}`
	}
	valid := func(items string) string {
		return `{"items":[` + items + `],"payment":{"token":"tok_visa"}}`
	}
	cases := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"malformed JSON", `{"items":`, 400, "malformed JSON"},
		{"not an object", `[1,2]`, 400, "must be"},
		{"unknown field", `{"items":[],"payment":{"token":"t"},"coupon":"x"}`, 400, `unknown field "coupon"`},
		{"customer from the body", `{"customer_id":"c-1","items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{"token":"t"}}`, 400, `unknown field "customer_id"`},
		{"wrong type", `{"items":[{"sku":"MUG-CERAMIC","quantity":"2"}],"payment":{"token":"t"}}`, 400, "items.quantity"},
		{"unknown SKU", valid(`{"sku":"NOPE","quantity":1}`), 422, `unknown SKU "NOPE"`},
		{"zero quantity", valid(`{"sku":"MUG-CERAMIC","quantity":0}`), 422, "items[0].quantity"},
		{"negative quantity", valid(`{"sku":"MUG-CERAMIC","quantity":-1}`), 422, "items[0].quantity"},
		{"no items", valid(``), 422, "at least one item"},
		{"101 items", valid(strings.Join(manyItems, ",")), 422, "at most 100 items"},
		{"missing token", `{"items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{}}`, 422, "payment.token is required"},
		{"bad phone", `{"items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{"token":"t"},"contact":{"phone":"555"}}`, 422, "E.164"},
		{"body over 1 MiB", `{"payment":{"token":"` + strings.Repeat("x", 1<<20) + `"}}`, 413, "exceeds"},
		{"trailing data", valid(`{"sku":"MUG-CERAMIC","quantity":1}`) + `{}`, 400, "single JSON object"},
		{"NUL in SKU", valid(`{"sku":"A\u0000","quantity":1}`), 422, "items[0].sku"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := post(t, "/api/orders", tc.body)
			require.Equal(t, tc.status, status, "body: %v", body)
			require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
			require.Equal(t, float64(tc.status), body["status"])
			require.Contains(t, fmt.Sprint(body["detail"]), tc.detail)
		})
	}
}

func TestUnknownResourcesAre404Problems(t *testing.T) {
	for _, path := range []string{"/api/orders/not-a-uuid", "/api/orders/0190a8f2-0000-7000-8000-000000000000", "/api/nothing"} {
		status, hdr, body := get(t, path)
		require.Equal(t, http.StatusNotFound, status, path)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"), path)
		require.NotEmpty(t, body["detail"], path)
	}
}

func TestListOrdersPagesNewestFirst(t *testing.T) {
	for i := 0; i < 3; i++ {
		status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
		require.Equal(t, 202, status, "%v", body)
	}
	status, _, page1 := get(t, "/api/orders?limit=2")
	require.Equal(t, 200, status)
	first := page1["orders"].([]any)
	require.Len(t, first, 2)
	require.NotEmpty(t, page1["next_cursor"])
	status, _, page2 := get(t, "/api/orders?limit=2&cursor="+page1["next_cursor"].(string))
	require.Equal(t, 200, status)
	second := page2["orders"].([]any)
	require.NotEmpty(t, second)
	seen := map[any]bool{}
	var prev time.Time
	for _, o := range append(first, second...) {
		m := o.(map[string]any)
		require.False(t, seen[m["id"]], "no order on two pages")
		seen[m["id"]] = true
		created, err := time.Parse(time.RFC3339Nano, m["created_at"].(string))
		require.NoError(t, err)
		if !prev.IsZero() {
			require.False(t, created.After(prev), "newest first")
		}
		prev = created
	}

	status, _, body := get(t, "/api/orders?limit=0")
	require.Equal(t, 400, status)
	require.Contains(t, body["detail"], "limit")
	status, _, _ = get(t, "/api/orders?cursor=garbage")
	require.Equal(t, 400, status)
	status, _, _ = get(t, "/api/orders?status=teleported")
	require.Equal(t, 400, status)
	status, _, _ = get(t, "/api/orders?customer_id=%00")
	require.Equal(t, 400, status)
}

// An admin finds a customer's orders by their email, by when they were
// placed and by their totals; a customer may name only their own email,
// and an unknown one is refused alike.
func TestListOrdersFilters(t *testing.T) {
	c := newCustomer(t)
	before := time.Now().UTC()
	var ids []string
	for _, qty := range []int{1, 3} {
		status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", qty, "tok_visa"), bearer(c.AccessToken))
		require.Equal(t, 202, status, "%v", body)
		ids = append(ids, body["id"].(string))
	}
	list := func(query string) []string {
		t.Helper()
		var page struct {
			Orders []struct {
				ID string `json:"id"`
			} `json:"orders"`
		}
		require.Equal(t, 200, getAs(t, "/api/orders?"+query, &page, asAdmin), query)
		var got []string
		for _, o := range page.Orders {
			got = append(got, o.ID)
		}
		return got
	}
	email := strings.ToUpper(c.User.Email)
	require.ElementsMatch(t, ids, list("customer_email="+email), "by email, in any case")
	cid := c.User.ID
	_, _, one := get(t, "/api/orders/"+ids[0], bearer(c.AccessToken))
	price := int64(one["total"].(float64)) // one mug; the other order has three
	require.Equal(t, ids[1:], list(fmt.Sprintf("customer_id=%s&min_total=%d", cid, price+1)))
	require.Equal(t, ids[:1], list(fmt.Sprintf("customer_id=%s&max_total=%d", cid, price)))
	require.ElementsMatch(t, ids, list("customer_id="+cid+"&created_from="+before.Add(-time.Second).Format(time.RFC3339Nano)))
	require.Empty(t, list("customer_id="+cid+"&created_to="+before.Add(-time.Second).Format(time.RFC3339Nano)))
	require.Empty(t, list("customer_email=nobody-at-all@example.com"))

	status, _, _ := get(t, "/api/orders?customer_email="+c.User.Email, bearer(c.AccessToken))
	require.Equal(t, 200, status, "their own")
	status, _, _ = get(t, "/api/orders?customer_email="+c.User.Email)
	require.Equal(t, 403, status, "someone else's")
	status, _, _ = get(t, "/api/orders?customer_email=nobody-at-all@example.com")
	require.Equal(t, 403, status, "an unknown email, refused as a known one")
	status, _, _ = get(t, "/api/orders?min_total=5&max_total=4", asAdmin)
	require.Equal(t, 400, status)
	status, _, _ = get(t, "/api/orders?min_total=-1", asAdmin)
	require.Equal(t, 400, status)
	for _, bad := range []string{"created_from=yesterday", "created_to=2026-13-01T00:00:00Z", "max_total=ten"} {
		status, hdr, body := get(t, "/api/orders?"+bad, asAdmin)
		require.Equal(t, 400, status, "%s: %v", bad, body)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"), bad)
	}
	status, _, _ = get(t, "/api/orders?created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z", asAdmin)
	require.Equal(t, 400, status, "an empty range")
}

func TestReadinessReportsEachServicesDependencies(t *testing.T) {
	require.Equal(t, map[string]string{"postgres": "ok", "redis": "ok", "temporal": "ok"}, readiness(t, stack.apiOps+"/readyz"))

	resp, err := http.Get(stack.workerOps["orders"] + "/readyz")
	require.NoError(t, err)
	var worker map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&worker))
	resp.Body.Close()
	require.Equal(t, map[string]any{"postgres": "ok", "kafka": "ok", "redis": "ok", "temporal": "ok"}, worker["checks"])
}

func TestMetricsCarryRouteTemplates(t *testing.T) {
	get(t, "/api/orders/0190a8f2-0000-7000-8000-000000000000")
	resp, err := http.Get(stack.apiOps + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(raw), `route="/api/orders/{id}"`)
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	for path, allow := range map[string]string{"/api/orders": "GET, POST", "/api/orders/0190a8f2-0000-7000-8000-000000000000": "GET", "/api/stats": "GET"} {
		status, hdr, body := do(t, request(t, http.MethodDelete, stack.apiURL+path, ""))
		require.Equal(t, http.StatusMethodNotAllowed, status, path)
		require.Equal(t, allow, hdr.Get("Allow"), path)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
		require.Contains(t, body["detail"], "DELETE is not allowed")
	}
}

func TestStatsCountOrdersAndDescribeQueues(t *testing.T) {
	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	waitForFinal(t, body["id"].(string))

	status, _, stats := get(t, "/api/stats", asAdmin)
	require.Equal(t, 200, status, "%v", stats)
	require.GreaterOrEqual(t, stats["orders"].(map[string]any)["completed"], float64(1))
	queues := stats["task_queues"].(map[string]any)
	for _, q := range []string{"orders", "inventory", "notifications"} {
		qs := queues[q].(map[string]any)
		require.Greater(t, qs["workflow_pollers"].(float64)+qs["activity_pollers"].(float64), float64(0), "queue %s has pollers", q)
	}
	// The minute it completed in counts it, with its latency; its
	// confirmation's call to a provider counts in deliveries.
	minutes := stats["minutes"].([]any)
	require.NotEmpty(t, minutes)
	latest := minutes[len(minutes)-1].(map[string]any)
	require.GreaterOrEqual(t, latest["outcomes"].(map[string]any)["completed"], float64(1))
	latency := latest["latency_ms"].(map[string]any)
	require.Greater(t, latency["p50"], float64(0))
	require.GreaterOrEqual(t, latency["p99"], latency["p50"])
	require.NotEmpty(t, stats["deliveries"])

	// The stats stream pushes the same figures, at once and then again.
	resp, err := http.DefaultClient.Do(request(t, http.MethodGet, stack.apiURL+"/api/streams/stats", "", asAdmin))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := sse.NewReader(resp.Body)
	for range 2 {
		ev, err := r.Next()
		require.NoError(t, err)
		require.Equal(t, "stats", ev.Event)
		var pushed map[string]any
		require.NoError(t, json.Unmarshal([]byte(ev.Data), &pushed))
		require.Contains(t, pushed, "task_queues")
		require.NotEmpty(t, pushed["minutes"])
	}
	status, _, _ = get(t, "/api/streams/stats")
	require.Equal(t, http.StatusForbidden, status, "a customer")
}

func TestMalformedTextIs400NotA500(t *testing.T) {
	for _, path := range []string{"/api/products/%00", "/api/inventory/%ff", "/api/inventory/A%00/events",
		"/api/reservations/%ff", "/api/notifications?order_id=%00", "/api/orders?status=%ff"} {
		status, hdr, body := get(t, path, asAdmin)
		require.Equal(t, http.StatusBadRequest, status, "%s: %v", path, body)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"), path)
	}
	status, _, body := post(t, "/api/inventory/%00/adjustments", `{"warehouse":"eu-west","delta":1,"reason":"x"}`, asAdmin)
	require.Equal(t, http.StatusBadRequest, status, "%v", body)
	status, _, body = post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"), map[string]string{"Idempotency-Key": "k\xff"})
	require.Equal(t, http.StatusBadRequest, status, "%v", body)
	require.Contains(t, body["detail"], "Idempotency-Key")
}

// An admin sees where each of an order's changes came from: the request
// that placed it (its X-Request-ID, carried through the workflows) and the
// trace of the step that wrote it; a customer sees neither.
func TestOrderEventsNameTheirRequestAndTrace(t *testing.T) {
	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"), map[string]string{"X-Request-ID": "events-origin-1"})
	require.Equal(t, 202, status, "%v", body)
	id := body["id"].(string)
	waitForFinal(t, id)
	var evs struct {
		Events []map[string]any `json:"events"`
	}
	require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/events", &evs, asAdmin))
	require.NotEmpty(t, evs.Events)
	for _, ev := range evs.Events {
		require.Equal(t, "events-origin-1", ev["request_id"], "%v", ev)
		require.Regexp(t, "^[0-9a-f]{32}$", ev["trace_id"], "%v", ev)
	}
	var theirs struct {
		Events []map[string]any `json:"events"`
	}
	require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/events", &theirs))
	require.Len(t, theirs.Events, len(evs.Events))
	for _, ev := range theirs.Events {
		require.NotContains(t, ev, "request_id")
		require.NotContains(t, ev, "trace_id")
	}
}
