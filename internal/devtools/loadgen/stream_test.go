package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The api's stream as the client sees it: busy once, then a stream that
// ends before the final state, then, resumed after its last id, the final
// state.
func TestFollowStreamReconnectsAfterTheLastEvent(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/orders/o-1/stream" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("%s with %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":503}`)
		case 2:
			if id := r.Header.Get("Last-Event-ID"); id != "" {
				t.Errorf("first stream sent Last-Event-ID %q", id)
			}
			fmt.Fprint(w, "retry: 1\n\nid: a\nevent: order\ndata: {\"id\":\"o-1\",\"status\":\"pending\"}\n\n: heartbeat\n\n")
		default:
			if id := r.Header.Get("Last-Event-ID"); id != "a" {
				t.Errorf("reconnected with Last-Event-ID %q, want a", id)
			}
			fmt.Fprint(w, "retry: 1\n\nid: b\nevent: order\ndata: {\"id\":\"o-1\",\"status\":\"failed\",\"failure_reason\":\"declined\"}\n\n")
		}
	}))
	defer srv.Close()
	c := newCaller(srv.URL, "", "", 1)
	c.token = "tok"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := followStream(ctx, c, "o-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "failed" || got.FailureReason != "declined" || calls.Load() != 3 {
		t.Fatalf("%+v after %d calls", got, calls.Load())
	}
}

func TestFollowStreamGivesUpWithTheLastRefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := newCaller(srv.URL, "", "", 1)
	c.token = "tok"
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := followStream(ctx, c, "o-1"); !errors.Is(err, errRateLimited) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the deadline with the 429", err)
	}
}
