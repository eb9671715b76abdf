package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// One order is one trace: the API's request, its StartWorkflow, the saga in
// the orders worker, every step's activity, the reservation child in the
// inventory worker (another process) and the notification child with its
// provider call; its order.completed Kafka event carries the trace on.
func TestAnOrderIsOneTrace(t *testing.T) {
	status, hdr, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, 202, status, "body: %v", body)
	traceID := hdr.Get(httpx.TraceIDHeader)
	require.Len(t, traceID, 32, "the response quotes the trace ID")
	id := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	// Delivered, so its shipments' workflow spans end and are exported.
	o := waitForShipments(t, id, 1, inStatus(orders.ShipmentBooked))
	for _, st := range []orders.ShipmentStatus{orders.ShipmentInTransit, orders.ShipmentOutForDelivery, orders.ShipmentDelivered} {
		o = advance(t, o, st)
	}

	want := map[string]string{ // span name → the role that records it
		"POST /api/orders":                       "orderflow-api",
		"StartWorkflow:OrderWorkflow":            "orderflow-api",
		"RunWorkflow:OrderWorkflow":              "orderflow-worker-orders",
		"StartChildWorkflow:ReservationWorkflow": "orderflow-worker-orders",
		"RunWorkflow:ReservationWorkflow":        "orderflow-worker-inventory",
		"RunActivity:AuthorizePayment":           "orderflow-worker-orders",
		"RunActivity:CapturePayment":             "orderflow-worker-orders",
		"payments POST":                          "orderflow-worker-orders",
		"RunActivity:RecordOrderState":           "orderflow-worker-orders",
		"RunWorkflow:NotificationWorkflow":       "orderflow-worker-notifications",
		"RunActivity:SendEmail":                  "orderflow-worker-notifications",
		"sendgrid POST":                          "orderflow-worker-notifications",
		"StartChildWorkflow:ShipmentWorkflow":    "orderflow-worker-orders",
		"RunWorkflow:ShipmentWorkflow":           "orderflow-worker-fulfilment",
		"carrier POST":                           "orderflow-worker-fulfilment",
	}
	var missing []string
	assert.Eventually(t, func() bool {
		seen := map[string]string{}
		for _, s := range stack.spans.trace(traceID) {
			seen[s.Name] = s.Service
		}
		missing = missing[:0]
		for name, service := range want {
			if seen[name] != service {
				missing = append(missing, name+" from "+service)
			}
		}
		return len(missing) == 0
	}, 30*time.Second, 200*time.Millisecond, "spans of the trace")
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Fatalf("trace %s lacks: %s", traceID, strings.Join(missing, ", "))
	}

	// The saga's spans hang together: every span but the API's request has
	// its parent in the trace, once the last batches are in (the delivered
	// notification's spans come moments after the parcel's).
	var spans []receivedSpan
	var orphan string
	assert.Eventually(t, func() bool {
		spans = stack.spans.trace(traceID)
		ids := map[string]bool{}
		for _, s := range spans {
			ids[string(s.SpanId)] = true
		}
		orphan = ""
		for _, s := range spans {
			if s.Name != "POST /api/orders" && !ids[string(s.ParentSpanId)] {
				orphan = s.Name + " (" + s.Service + ")"
			}
		}
		return orphan == ""
	}, 10*time.Second, 200*time.Millisecond)
	require.Empty(t, orphan, "a span whose parent is not in the trace")

	// An operator finds the trace from the order: its workflow ID tags the
	// saga's spans.
	var tagged bool
	for _, s := range spans {
		for _, attr := range s.Attributes {
			if s.Name == "RunWorkflow:OrderWorkflow" && attr.Key == "temporalWorkflowID" {
				tagged = attr.GetValue().GetStringValue() == orders.WorkflowID(id)
			}
		}
	}
	require.True(t, tagged, "RunWorkflow:OrderWorkflow has temporalWorkflowID=%s", orders.WorkflowID(id))

	ev, m := readOrderMessage(t, id, "order.completed")
	require.Len(t, headerValues(m, events.TraceParentHeader), 1)
	require.Equal(t, traceID, strings.Split(headerValues(m, events.TraceParentHeader)[0], "-")[1], "the event's traceparent header")
	require.Equal(t, headerValues(m, events.TraceParentHeader)[0], ev.TraceParent, "the CloudEvents traceparent attribute")
}
