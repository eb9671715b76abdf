package integration

// TestRecordHistories records the event histories that workflows/replay_test.go
// replays against the current workflow code, so a change that would break
// running executions (non-determinism) fails `go test ./workflows/`.
//
// It is skipped unless ORDERFLOW_RECORD_HISTORIES=1. To re-record:
//
//	make build   # bin/temporal, for the local stack
//	ORDERFLOW_RECORD_HISTORIES=1 go test -count=1 -run TestRecordHistories ./test/integration/
//
// It runs representative orders on the real local stack and writes each
// closed execution's full history (order, its ReservationWorkflow and its
// NotificationWorkflow; a WebhookDeliveryWorkflow, a RefundWorkflow, a
// ShipmentWorkflow delivered and one cancelled, a ReturnWorkflow) as JSON, the format of `temporal workflow show
// --output json`, to workflows/testdata/histories/<scenario>-<workflow>.json.
//
// When: only when a workflow change is MEANT to be incompatible with the
// recorded histories, and that change is guarded by workflow.GetVersion so
// running executions keep the old behaviour. Before re-recording, keep the
// current files as the previous version's (git mv X.json vN-X.json): they
// go on proving that executions started before the change still replay.
// Never re-record to make a failing replay test pass: that failure is the
// test telling you that running orders would break on deploy.
// (Adding a scenario here is fine too: re-recording the current version's
// files changes only their IDs and times, and v*-*.json and clear-*.json
// files are never rewritten.) The payloads are encrypted with the stack's
// development key, the default of PAYLOAD_ENCRYPTION_KEYS, which the replay
// test decrypts them with: a history recorded with another key would not
// replay there.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/workflows"
)

// historiesDir is where workflows/replay_test.go reads the histories from.
var historiesDir = filepath.Join("..", "..", "workflows", "testdata", "histories")

func TestRecordHistories(t *testing.T) {
	if os.Getenv("ORDERFLOW_RECORD_HISTORIES") != "1" {
		t.Skip("records workflow histories for workflows/replay_test.go; set ORDERFLOW_RECORD_HISTORIES=1 to re-record")
	}
	require.NoError(t, os.MkdirAll(historiesDir, 0o755))

	scenarios := []struct {
		name  string
		final orders.Status                  // the order's expected final status
		run   func(t *testing.T) (id string) // places and drives one order
	}{
		{"completed", orders.StatusCompleted, func(t *testing.T) string {
			return placeOrder(t, orderBody("TSHIRT-BLK-M", 2, "tok_visa"))
		}},
		{"declined", orders.StatusFailed, func(t *testing.T) string {
			return placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_declined"), bearer(newCustomer(t).AccessToken))
		}},
		{"cancelled", orders.StatusCancelled, func(t *testing.T) string {
			// A slow gateway leaves time to cancel while the payment is
			// authorized; the order (2 x 129.00) then waits for approval,
			// where the saga takes the cancellation (cancel_test.go).
			require.NoError(t, stack.sandbox.AddFault(sandbox.Fault{Provider: sandbox.ProviderPayments, LatencyMS: 1000}))
			defer stack.sandbox.ClearFaults()
			id := placeOrder(t, orderBody("KEYBOARD-TKL", 2, "tok_visa"))
			waitForStep(t, id, workflows.StepAuthorizePayment, workflows.StepRunning)
			status, _, body := post(t, "/api/orders/"+id+"/cancel", `{"reason":"ordered by mistake"}`)
			require.Equal(t, 200, status, "%v", body)
			return id
		}},
		{"approved", orders.StatusCompleted, func(t *testing.T) string {
			id := placeOrderNeedingApproval(t) // 4 x 59.00, over the suite's threshold of 200.00
			status, _, body := post(t, "/api/orders/"+id+"/approve", `{"reason":"known customer"}`, asAdmin)
			require.Equal(t, 202, status, "%v", body)
			return id
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			id := sc.run(t)
			o := waitForFinal(t, id)
			require.Equal(t, sc.final, o.Status, "failure: %s", o.FailureReason)
			for _, run := range []struct{ kind, workflowID string }{
				{"order", orders.WorkflowID(id)},
				{"reservation", workflows.ReservationID(id)},
				{"notification", notifications.WorkflowID(id + "-" + string(o.Status))},
			} {
				recordHistory(t, run.workflowID, filepath.Join(historiesDir, sc.name+"-"+run.kind+".json"))
			}
		})
	}
	// An order's completion delivered to an integrator's endpoint
	// (webhook_endpoints_test.go).
	t.Run("webhook", func(t *testing.T) {
		name := uniqueID("history")
		e := createEndpoint(t, receiver(t, name, "", nil, ""), "order.completed")
		receiver(t, name, e.Secret, nil, "")
		orderID := placeCompletedOrder(t, stack.customer)
		var d deliveryDetail
		require.Eventually(t, func() bool {
			var ok bool
			d, ok = deliveryOf(t, e, orderID, "order.completed")
			return ok && d.Status == webhooks.DeliverySucceeded
		}, 30*time.Second, 100*time.Millisecond)
		recordHistory(t, workflows.WebhookDeliveryID(d.ID, 0), filepath.Join(historiesDir, "webhook-delivered-delivery.json"))
	})
	// An admin's partial refund of a completed order (refund_test.go).
	t.Run("refund", func(t *testing.T) {
		orderID := placeCompletedOrder(t, stack.customer)
		status, _, body := post(t, "/api/orders/"+orderID+"/refunds", refundBody(100, "history"), asAdmin, withKey("history"))
		require.Equal(t, 202, status, "%v", body)
		recordHistory(t, workflows.RefundStartOptions(body["id"].(string)).ID, filepath.Join(historiesDir, "refunded-refund.json"))
	})
	// A parcel tracked to the door, then a line of it returned and refunded
	// (shipment_test.go, return_test.go).
	t.Run("delivered", func(t *testing.T) {
		o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
		o = advance(t, o, orders.ShipmentInTransit)
		o = advance(t, o, orders.ShipmentOutForDelivery)
		o = advance(t, o, orders.ShipmentDelivered)
		recordHistory(t, o.Shipments[0].ID, filepath.Join(historiesDir, "delivered-shipment.json"))
		status, _, body := post(t, "/api/orders/"+o.ID+"/returns", returnBody(o.Items[0].SKU, 1), withKey("history"))
		require.Equal(t, 202, status, "%v", body)
		r := waitForReturn(t, o.ID, body["id"].(string), orders.ReturnLabelIssued)
		for range 3 {
			_, code, problem := stack.sandbox.AdvanceShipment(r.CarrierShipmentID, "")
			require.Equal(t, 200, code, problem)
		}
		recordHistory(t, r.ID, filepath.Join(historiesDir, "refunded-return.json"))
	})
	// A completed order cancelled before its parcel's pickup
	// (shipment_cancel_test.go).
	t.Run("parcel-cancelled", func(t *testing.T) {
		o := placeBookedOrder(t, map[string]int{"eu-west": 1}, 1, 1)
		status, _, body := post(t, "/api/orders/"+o.ID+"/cancel", `{"reason":"history"}`)
		require.Contains(t, []int{200, 202}, status, "%v", body)
		recordHistory(t, o.Shipments[0].ID, filepath.Join(historiesDir, "cancelled-shipment.json"))
	})
}

func placeOrder(t *testing.T, body string, headers ...map[string]string) string {
	t.Helper()
	status, _, resp := post(t, "/api/orders", body, headers...)
	require.Equal(t, 202, status, "%v", resp)
	return resp["id"].(string)
}

// recordHistory waits for a workflow to close and writes its full history.
func recordHistory(t *testing.T, workflowID, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Long-poll for the close event first: a child may still be running.
	closed := stack.temporal.GetWorkflowHistory(ctx, workflowID, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for closed.HasNext() {
		_, err := closed.Next()
		require.NoError(t, err, "waiting for %s to close", workflowID)
	}

	hist := &historypb.History{}
	it := stack.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err, "history of %s", workflowID)
		hist.Events = append(hist.Events, ev)
	}
	require.GreaterOrEqual(t, len(hist.Events), 3, "history of %s", workflowID)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, hist.Events[0].GetEventType())
	switch last := hist.Events[len(hist.Events)-1].GetEventType(); last {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
	default:
		t.Fatalf("%s did not close: its last event is %s", workflowID, last)
	}

	// The JSON of `temporal workflow show --output json`, which
	// worker.WorkflowReplayer.ReplayWorkflowHistoryFromJSONFile reads.
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("recorded %s (%d events) to %s", workflowID, len(hist.Events), path)
}
