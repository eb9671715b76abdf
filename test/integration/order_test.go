package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/workflows"
)

func TestOrderCompletesEndToEnd(t *testing.T) {
	const sku = "TSHIRT-BLK-M"
	onHandBefore, reservedBefore := stockOf(t, sku)

	status, hdr, body := post(t, "/api/orders", orderBody(sku, 2, "tok_visa"), map[string]string{"Idempotency-Key": "it-complete-1"})
	require.Equal(t, 202, status, "body: %v", body)
	id := body["id"].(string)
	require.Equal(t, "pending", body["status"])
	require.Equal(t, "order-"+id, body["workflow_id"])
	require.Equal(t, "/api/orders/"+id, hdr.Get("Location"))

	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)
	require.Equal(t, int64(5000), o.Total, "2 x 25.00 from the catalogue")
	var names []string
	for _, s := range o.Steps {
		require.Equal(t, workflows.StepCompleted, s.Status, "step %s: %s", s.Name, s.Error)
		require.NotNil(t, s.CompletedAt)
		names = append(names, s.Name)
	}
	require.Equal(t, []string{workflows.StepAssessRisk, workflows.StepReserveStock, workflows.StepAuthorizePayment, workflows.StepCapturePayment,
		workflows.StepConfirmReservation, workflows.StepNotifyCustomer}, names)

	// Stock left PostgreSQL exactly once, and nothing stays reserved.
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, onHandBefore-2, onHand)
	require.Equal(t, reservedBefore, reserved)

	// The gateway captured once, under the order's key.
	require.Len(t, paymentOps("capture", id+":"), 1)

	// Temporal knows the order, findable by its search attribute.
	waitForClose(t, "order-"+id)
	require.Equal(t, "Completed", executionStatus(t, "order-"+id))
	var orderStatus string
	var orderTotal float64
	searchAttribute(t, "order-"+id, workflows.SearchAttrOrderStatus, &orderStatus)
	searchAttribute(t, "order-"+id, workflows.SearchAttrOrderTotal, &orderTotal)
	require.Equal(t, "completed", orderStatus)
	require.Equal(t, float64(o.Total), orderTotal, "OrderTotal in minor units, like the API's total")

	// order.completed is on the broker, read back by a consumer group.
	ev := readOrderEvent(t, id, "order.completed")
	require.Equal(t, "1.0", ev.SpecVersion)
	require.Equal(t, id, ev.Subject)
	require.Equal(t, "order-"+id+"/order.completed", ev.ID)
	var data map[string]any
	require.NoError(t, json.Unmarshal(ev.Data, &data))
	require.Equal(t, "completed", data["status"])

	// The order's events are kept beside the read model, oldest first.
	status, _, evBody := get(t, "/api/orders/"+id+"/events")
	require.Equal(t, 200, status)
	var types []string
	for _, e := range evBody["events"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	require.Equal(t, []string{"order.processing", "order.completed"}, types)

	// The customer was told by email, once.
	var emails int
	for _, m := range stack.sandbox.Messages() {
		if m.IdempotencyKey == id+"-completed:email" {
			emails++
		}
	}
	require.Eventually(t, func() bool {
		emails = 0
		for _, m := range stack.sandbox.Messages() {
			if m.IdempotencyKey == id+"-completed:email" {
				emails++
			}
		}
		return emails == 1
	}, 30*time.Second, 100*time.Millisecond, "one confirmation email")
}

func TestDeclinedPaymentLeavesStockUnchanged(t *testing.T) {
	const sku = "MUG-CERAMIC"
	onHandBefore, reservedBefore := stockOf(t, sku)

	// A customer of its own: the demo customer's declines would send its
	// next orders to review (risk_test.go).
	status, _, body := post(t, "/api/orders", orderBody(sku, 3, "tok_declined"), bearer(newCustomer(t).AccessToken))
	require.Equal(t, 202, status, "body: %v", body)
	o := waitForFinal(t, body["id"].(string))

	require.Equal(t, orders.StatusFailed, o.Status)
	require.Contains(t, o.FailureReason, "declined")
	onHand, reserved := stockOf(t, sku)
	require.Equal(t, onHandBefore, onHand)
	require.Equal(t, reservedBefore, reserved, "the reservation was released")
	require.Empty(t, paymentOps("capture", o.ID+":"))
	readOrderEvent(t, o.ID, "order.failed")
}

func TestIdempotencyKeyStartsOneOrder(t *testing.T) {
	body := orderBody("HOODIE-GRY-L", 1, "tok_visa")
	headers := map[string]string{"Idempotency-Key": "it-idem-1"}
	// Ten clients retry the same request at once.
	ids := make(chan any, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, b := post(t, "/api/orders", body, headers)
			assert.Equal(t, 202, status, "%v", b)
			ids <- b["id"]
		}()
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		require.Equal(t, first, id, "the same key and body return the same order")
	}

	o := waitForFinal(t, first.(string))
	require.Equal(t, orders.StatusCompleted, o.Status)
	// One workflow ran: its history has one start, and the gateway saw one
	// authorization key (replays of a key are not recorded twice).
	runs, err := stack.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", orders.WorkflowID(o.ID)),
	})
	require.NoError(t, err)
	require.Len(t, runs.Executions, 1)
	require.Len(t, paymentOps("authorize", o.ID+":"), 1)
	var keys int
	require.NoError(t, stack.db.QueryRow(context.Background(), `SELECT count(*) FROM orders.idempotency_keys WHERE key = $1`,
		stack.customer.User.ID+":it-idem-1").Scan(&keys), "keys are the customer's own")
	require.Equal(t, 1, keys)
	s2, _, replay := post(t, "/api/orders", body, headers)
	require.Equal(t, 202, s2)
	require.Equal(t, "completed", replay["status"], "a replay after the fact answers with the finished order")

	s3, hdr, b3 := post(t, "/api/orders", orderBody("HOODIE-GRY-L", 2, "tok_visa"), headers)
	require.Equal(t, 422, s3)
	require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
	require.Contains(t, b3["detail"], "different request body")
}

// readOrderEvent reads orders.events with a consumer group until it finds
// the event of the given type for the order.
func readOrderEvent(t *testing.T, orderID, eventType string) events.CloudEvent {
	t.Helper()
	ev, _ := readOrderMessage(t, orderID, eventType)
	return ev
}

// readOrderMessage is readOrderEvent that also returns the Kafka message.
func readOrderMessage(t *testing.T, orderID, eventType string) (events.CloudEvent, kafka.Message) {
	t.Helper()
	ev, m := readEvent(t, events.OrdersTopic, "it-"+orderID+"-"+eventType, func(ev events.CloudEvent) bool {
		return ev.Subject == orderID && ev.Type == eventType
	})
	require.Equal(t, orderID, string(m.Key), "events are keyed by the order ID")
	return ev, m
}

// readEvent reads topic with a consumer group of its own, from the start,
// until an event matches.
func readEvent(t *testing.T, topic, group string, match func(events.CloudEvent) bool) (events.CloudEvent, kafka.Message) {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     stack.cfg.KafkaBrokers,
		GroupID:     group,
		Topic:       topic,
		StartOffset: kafka.FirstOffset,
		MaxWait:     100 * time.Millisecond,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		m, err := r.FetchMessage(ctx)
		require.NoError(t, err, "no matching event on %s", topic)
		var ev events.CloudEvent
		require.NoError(t, json.Unmarshal(m.Value, &ev))
		require.NoError(t, r.CommitMessages(ctx, m))
		if match(ev) {
			return ev, m
		}
	}
}
