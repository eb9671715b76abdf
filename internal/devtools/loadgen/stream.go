package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/orderflow/orderflow/internal/devtools/sse"
)

// followStream follows an order by GET /api/orders/{id}/stream until an
// event says it is final, reconnecting with Last-Event-ID when the stream
// ends or breaks first (the server ends each after 5 minutes), and after
// Retry-After when the api is busy (429, 503), until ctx ends.
func followStream(ctx context.Context, c *caller, id string) (orderView, error) {
	var (
		cur   orderView
		last  string        // the last event's id
		retry = time.Second // until the server sets its own
		why   error         // why the last attempt ended early, for the error when ctx ends
	)
	for {
		header := http.Header{"Accept": {"text/event-stream"}}
		if last != "" {
			header.Set("Last-Event-ID", last)
		}
		resp, err := c.send(ctx, c.streams, http.MethodGet, "/api/orders/"+id+"/stream", nil, header)
		if err != nil {
			return cur, errors.Join(err, why)
		}
		wait := retry
		switch resp.StatusCode {
		case http.StatusOK:
			r := sse.NewReader(resp.Body)
			cur, why, err = readOrderEvents(r, cur)
			resp.Body.Close()
			last = r.LastID
			if r.Retry > 0 {
				retry, wait = r.Retry, r.Retry
			}
			if err != nil || cur.Status.Final() {
				return cur, err
			}
		case http.StatusNoContent:
			// Last-Event-ID named the final state: we had it already.
			resp.Body.Close()
			if cur.Status.Final() {
				return cur, nil
			}
			return cur, fmt.Errorf("stream of order %s: 204 after status %q, which is not final", id, cur.Status)
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			wait = retryAfter(resp, retry)
			why = decode(resp, http.StatusOK, nil)
		default:
			return cur, decode(resp, http.StatusOK, nil)
		}
		select {
		case <-ctx.Done():
			return cur, errors.Join(ctx.Err(), why)
		case <-time.After(wait):
		}
	}
}

// readOrderEvents reads order events until a final one or the end of the
// stream, and returns the last order, why the stream broke if it did (a
// reconnection's business), and an event it cannot read (the end).
func readOrderEvents(r *sse.Reader, cur orderView) (_ orderView, broke, err error) {
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return cur, errors.New("stream ended before a final status"), nil
		}
		if err != nil {
			return cur, err, nil
		}
		if ev.Event != "order" {
			continue
		}
		if err := json.Unmarshal([]byte(ev.Data), &cur); err != nil {
			return cur, nil, fmt.Errorf("order event %q: %w", ev.ID, err)
		}
		if cur.Status.Final() {
			return cur, nil, nil
		}
	}
}

// retryAfter is the wait resp asks for in seconds, else def.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return def
}
