package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// How a client follows its order (Options.Follow).
const (
	FollowStream = "stream" // GET /api/orders/{id}/stream: one event per status
	FollowWait   = "wait"   // a long-poll per status change
	FollowPoll   = "poll"   // a read every 20 ms
)

// orderView is what a client reads of its order.
type orderView struct {
	ID            string        `json:"id"`
	Status        orders.Status `json:"status"`
	FailureReason string        `json:"failure_reason"`
	Shipments     []parcelView  `json:"shipments"`
}

// placeAndFollow places order n and follows it to its final status, and
// with Options.Deliver a completed one on to its door: one unit of the
// orders phase.
func placeAndFollow(ctx context.Context, c *caller, o Options, n int) sample {
	body, _ := json.Marshal(map[string]any{
		"items":   []map[string]any{{"sku": o.SKUs[n%len(o.SKUs)], "quantity": 1}},
		"payment": map[string]string{"token": o.Token},
		"contact": map[string]string{"email": fmt.Sprintf("load-%d@example.com", n)},
	})
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var placed orderView
	if err := c.call(ctx, http.MethodPost, "/api/orders", body, http.StatusAccepted, &placed); err != nil {
		return sample{err: err}
	}
	var (
		final orderView
		err   error
	)
	switch o.Follow {
	case FollowStream:
		final, err = followStream(ctx, c, placed.ID)
	default:
		final, err = followReads(ctx, c, placed, o.Follow == FollowWait)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("order %s not final after %s: %w", placed.ID, o.Timeout, err)
		}
		return sample{id: placed.ID, err: err}
	}
	s := sample{id: placed.ID, status: string(final.Status), reason: final.FailureReason}
	if !o.Deliver || final.Status != orders.StatusCompleted {
		return s
	}
	if final, err = deliver(ctx, c, o.Settings.CarrierURL, placed.ID); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("order %s not delivered after %s: %w", placed.ID, o.Timeout, err)
		}
		return sample{id: placed.ID, err: err}
	}
	// Only a delivered order's shipment workflows are counted: a
	// completed one's wait for their parcels to move, and never close.
	s.status = string(final.Status)
	for _, sh := range final.Shipments {
		s.shipments = append(s.shipments, sh.ID)
	}
	return s
}

// followReads reads the order until it is final: by long-polls (wait), or
// every 20 ms.
func followReads(ctx context.Context, c *caller, cur orderView, wait bool) (orderView, error) {
	for {
		path := "/api/orders/" + cur.ID
		if wait {
			// Answered when the status moves on (or after 20 s as it is).
			path += "?wait=20s&status_not=" + url.QueryEscape(string(cur.Status))
		}
		if err := c.call(ctx, http.MethodGet, path, nil, http.StatusOK, &cur); err != nil {
			return cur, err
		}
		if cur.Status.Final() {
			return cur, nil
		}
		if wait {
			continue
		}
		select {
		case <-ctx.Done():
			return cur, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
