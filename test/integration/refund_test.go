package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// refundBody is a refund request of amount (0: the rest).
func refundBody(amount int64, reason string) string {
	if amount == 0 {
		return fmt.Sprintf(`{"reason":%q}`, reason)
	}
	return fmt.Sprintf(`{"amount":%d,"reason":%q}`, amount, reason)
}

func withKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// Admins refund part of a completed order, on the real stack. Eight
// refunds of a third each, at once from eight clients: three are paid, the
// rest refused, and the gateway never gives back more than it took. A
// repeated request pays nothing more.
func TestPartialRefundsNeverPassTheCapture(t *testing.T) {
	id := placeOrder(t, orderBody("TSHIRT-BLK-M", 1, "tok_visa")) // 25.00: three thirds of 8.33 leave a cent
	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, o.FailureReason)
	third := o.Total / 3

	status, _, _ := post(t, "/api/orders/"+id+"/refunds", refundBody(third, "broken"), withKey("c1"))
	require.Equal(t, http.StatusForbidden, status, "customers do not refund themselves")
	status, _, body := post(t, "/api/orders/"+id+"/refunds", refundBody(third, "broken"), asAdmin)
	require.Equal(t, http.StatusBadRequest, status, "%v", body)
	status, _, body = post(t, "/api/orders/"+id+"/refunds", refundBody(o.Total+1, "too much"), asAdmin, withKey("big"))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)

	var mu sync.Mutex
	answers := map[int]int{}
	var accepted []string
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, body := post(t, "/api/orders/"+id+"/refunds", refundBody(third, "one mug broken"), asAdmin, withKey(fmt.Sprintf("k%d", i)))
			mu.Lock()
			defer mu.Unlock()
			answers[status]++
			if status == http.StatusAccepted {
				accepted = append(accepted, body["id"].(string))
			}
		}()
	}
	wg.Wait()
	require.Equal(t, map[int]int{http.StatusAccepted: 3, http.StatusUnprocessableEntity: 5}, answers)

	// The customer follows them to refunded.
	var list struct{ Refunds []orders.Refund }
	require.Eventually(t, func() bool {
		require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/refunds", &list))
		done := 0
		for _, r := range list.Refunds {
			if r.Status == orders.RefundRefunded {
				done++
			}
		}
		return done == 3
	}, 30*time.Second, 50*time.Millisecond, "refunds %+v", list.Refunds)
	require.Len(t, list.Refunds, 3)

	var refunded int64
	for _, r := range accepted {
		ops := paymentOps("refund", "refund:"+r)
		require.Len(t, ops, 1, "refund %s paid once", r)
		refunded += ops[0].Amount
	}
	require.Equal(t, 3*third, refunded)
	require.LessOrEqual(t, refunded, o.Total)
	require.Equal(t, refunded, waitForFinal(t, id).Refunded, "the order shows what was given back")
	// The customer is emailed once per refund, with its amount.
	for _, r := range accepted {
		require.Eventually(t, func() bool {
			n := 0
			for _, m := range stack.sandbox.Messages() {
				if m.IdempotencyKey == id+"-refund-"+r+":email" && strings.Contains(m.Body, fmt.Sprintf("We have refunded %d.%02d USD", third/100, third%100)) {
					n++
				}
			}
			return n == 1
		}, 30*time.Second, 100*time.Millisecond, "one email for refund %s", r)
	}

	// A repeat answers the refund it made, and pays nothing more; the same
	// key for another amount is refused.
	status, _, body = post(t, "/api/orders/"+id+"/refunds", refundBody(third, "one mug broken"), asAdmin, withKey("k0"))
	if status == http.StatusOK {
		require.Contains(t, accepted, body["id"])
		require.Len(t, paymentOps("refund", "refund:"+body["id"].(string)), 1)
	} else {
		require.Equal(t, http.StatusUnprocessableEntity, status, "k0 was one of the refused: %v", body)
	}
	status, _, _ = post(t, "/api/orders/"+id+"/refunds", refundBody(third+1, "one mug broken"), asAdmin, withKey(accepted[0]))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	readOrderEvent(t, id, "order.refunded")

	// What is left (total - 3 x third) can still be refunded, once.
	if left := o.Total - 3*third; left > 0 {
		status, _, body = post(t, "/api/orders/"+id+"/refunds", refundBody(0, "the rest"), asAdmin, withKey("rest"))
		require.Equal(t, http.StatusAccepted, status, "%v", body)
		require.EqualValues(t, left, body["amount"])
	}
	status, _, body = post(t, "/api/orders/"+id+"/refunds", refundBody(0, "more"), asAdmin, withKey("more"))
	require.Equal(t, http.StatusConflict, status, "refunded in full: %v", body)
}

// A refund the API claimed but whose workflow it could not start (it died,
// Temporal was down) is started by the orders worker's reconciler, and paid
// once; the customer sees its amount and status, not the admin's notes.
func TestAPendingRefundIsStartedByTheReconciler(t *testing.T) {
	id := placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	r, created, err := orders.NewStore(stack.db).ClaimRefund(context.Background(), orders.RefundClaim{
		OrderID: id, IdempotencyKey: "stranded", Amount: 100, Reason: "goodwill", RequestedBy: "admin:it"})
	require.NoError(t, err)
	require.True(t, created)

	var list struct{ Refunds []orders.Refund }
	require.Eventually(t, func() bool {
		require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/refunds", &list))
		return len(list.Refunds) == 1 && list.Refunds[0].Status == orders.RefundRefunded
	}, 30*time.Second, 100*time.Millisecond, "refunds %+v", list.Refunds)
	require.Len(t, paymentOps("refund", "refund:"+r.ID), 1)
	require.Empty(t, list.Refunds[0].Reason, "the reason is for the record")
	require.Empty(t, list.Refunds[0].RequestedBy)
	require.Equal(t, 200, getAs(t, "/api/orders/"+id+"/refunds", &list, asAdmin))
	require.Equal(t, "goodwill", list.Refunds[0].Reason)

	// Omitting the amount is another request than naming one.
	status, _, body := post(t, "/api/orders/"+id+"/refunds", refundBody(0, "goodwill"), asAdmin, withKey("stranded"))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
}

func TestRefundOfAnOrderNotCompletedIsRefused(t *testing.T) {
	customer := bearer(newCustomer(t).AccessToken)
	o := waitForFinal(t, placeOrder(t, orderBody("MUG-CERAMIC", 1, "tok_declined"), customer))
	require.Equal(t, orders.StatusFailed, o.Status)
	status, _, body := post(t, "/api/orders/"+o.ID+"/refunds", refundBody(0, "goodwill"), asAdmin, withKey("x"))
	require.Equal(t, http.StatusConflict, status, "%v", body)
	status, _, _ = post(t, "/api/orders/"+o.ID+"/refunds", refundBody(0, "goodwill"), asAdmin, withKey("x"))
	require.Equal(t, http.StatusConflict, status)
	status, _, _ = get(t, "/api/orders/"+o.ID+"/refunds")
	require.Equal(t, http.StatusNotFound, status, "someone else's order")
}
