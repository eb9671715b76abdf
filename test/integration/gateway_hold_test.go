package integration

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gatewayHold holds the payment gateway's calls of one operation (the
// idempotency keys the saga derives end in ":authorize", ":capture", ...)
// until the test releases them, so a test can act while a call is in flight
// by waiting for it to arrive (a state) instead of racing a slow gateway.
type gatewayHold struct {
	op       string
	arrived  chan string   // the key of each held call, as it arrives
	released chan struct{} // closed by release
}

var heldGatewayOp atomic.Pointer[gatewayHold]

// holdGateway holds every call of op until release, which the test's
// cleanup calls too.
func holdGateway(t *testing.T, op string) *gatewayHold {
	t.Helper()
	h := &gatewayHold{op: op, arrived: make(chan string, 16), released: make(chan struct{})}
	heldGatewayOp.Store(h)
	t.Cleanup(h.release)
	return h
}

// waitFor returns once the call of op for the order arrived.
func (h *gatewayHold) waitFor(t *testing.T, orderID string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case key := <-h.arrived:
			if key == orderID+":"+h.op {
				return
			}
		case <-deadline:
			t.Fatalf("the %s call of order %s never reached the gateway", h.op, orderID)
		}
	}
}

// release lets the held calls, and the later ones, through.
func (h *gatewayHold) release() {
	if heldGatewayOp.CompareAndSwap(h, nil) {
		close(h.released)
	}
}

// holdIfAsked holds r while a hold of its operation is on.
func holdIfAsked(r *http.Request) {
	h := heldGatewayOp.Load()
	key := r.Header.Get("Idempotency-Key")
	if h == nil || !strings.HasSuffix(key, ":"+h.op) {
		return
	}
	select {
	case h.arrived <- key:
	default: // nobody waits for this one
	}
	<-h.released
}
