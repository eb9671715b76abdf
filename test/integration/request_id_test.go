package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/workflows"
)

// The X-Request-ID of POST /api/orders follows the order: into its
// workflow's memo, the activities' log lines in the orders worker (another
// process) and the headers of its Kafka events.
func TestRequestIDFollowsTheOrder(t *testing.T) {
	reqID := fmt.Sprintf("it-req-%016x", rand.Uint64())
	status, hdr, body := post(t, "/api/orders", orderBody("TSHIRT-BLK-M", 1, "tok_visa"), map[string]string{"X-Request-ID": reqID})
	require.Equal(t, 202, status, "body: %v", body)
	require.Equal(t, reqID, hdr.Get("X-Request-ID"))
	id := body["id"].(string)
	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)

	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), orders.WorkflowID(id), "")
	require.NoError(t, err)
	payload := desc.WorkflowExecutionInfo.GetMemo().GetFields()["request_id"]
	require.NotNil(t, payload, "the workflow's memo has request_id")
	var memo string
	require.NoError(t, stack.codec.DataConverter().FromPayload(payload, &memo), "the memo is encrypted")
	require.Equal(t, reqID, memo)

	for _, eventType := range []string{"order.processing", "order.completed"} {
		_, m := readOrderMessage(t, id, eventType)
		require.Equal(t, []string{reqID}, headerValues(m, events.RequestIDHeader), "%s's request_id header", eventType)
	}

	// The stock was reserved by a local activity of ReservationWorkflow, a
	// child workflow in the inventory worker: its ledger event has it too.
	m := readInventoryMessage(t, id, "inventory.reserved")
	require.Equal(t, []string{reqID}, headerValues(m, events.RequestIDHeader), "inventory.reserved's request_id header")

	// The payment activities ran in the orders worker process and logged
	// with the request ID that reached them through the workflow.
	var logged []string
	for _, path := range workerProcs[workflows.OrdersTaskQueue].logPaths {
		f, err := os.Open(path)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil || line["request_id"] != reqID {
				continue
			}
			logged = append(logged, fmt.Sprint(line["msg"]))
			if line["msg"] == "payment authorized" {
				require.Equal(t, id, line["order_id"], "line: %s", sc.Text())
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	require.Contains(t, logged, "payment authorized", "the orders worker's activity log lines carry request_id")
}

func headerValues(m kafka.Message, key string) []string {
	var vs []string
	for _, h := range m.Headers {
		if h.Key == key {
			vs = append(vs, string(h.Value))
		}
	}
	return vs
}

// readInventoryMessage reads inventory.events until it finds the ledger
// event of the given type for the order.
func readInventoryMessage(t *testing.T, orderID, eventType string) kafka.Message {
	t.Helper()
	_, m := readEvent(t, events.InventoryTopic, "it-"+orderID+"-"+eventType, func(ev events.CloudEvent) bool {
		var data struct {
			OrderID string `json:"order_id"`
		}
		return ev.Type == eventType && json.Unmarshal(ev.Data, &data) == nil && data.OrderID == orderID
	})
	return m
}
