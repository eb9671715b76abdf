package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/httpx"
)

// TestRateLimitIsSharedByReplicas starts two more API replicas on the
// stack's Redis with a limit of 100 requests per minute, alternates one
// client's requests between them, and expects the 101st to be refused by
// whichever replica gets it: the count is shared, not per process.
func TestRateLimitIsSharedByReplicas(t *testing.T) {
	const limit = 100
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var replicas []string
	for range 2 {
		cfg := stack.cfg
		cfg.APIAddr = freeAddr()
		cfg.RateLimitPerMinute = limit
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := app.RunAPI(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil && ctx.Err() == nil {
				t.Errorf("replica %s: %v", cfg.APIAddr, err)
			}
		}()
		replicas = append(replicas, "http://"+cfg.APIAddr)
	}
	for _, u := range replicas {
		if err := waitReady(u+"/readyz", time.Minute); err != nil {
			t.Fatal(err)
		}
	}

	// A client of its own (the loopback peer is a trusted proxy by default),
	// so other tests' requests and earlier runs do not count.
	client := fmt.Sprintf("2001:db8:%x:%x::1", rand.Uint32N(1<<16), rand.Uint32N(1<<16))
	send := func(n int, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, replicas[n%2]+path, nil)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	start := time.Now()
	for n := 1; n <= limit; n++ {
		resp := send(n, "/api/openapi.json")
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %s, want 200 (a burst of %d is allowed)", n, resp.Status, limit)
		}
		if got, want := resp.Header.Get("RateLimit-Remaining"), strconv.Itoa(limit-n); n == 1 && got != want {
			t.Fatalf("request 1: RateLimit-Remaining %q, want %s", got, want)
		}
		if resp.Header.Get("RateLimit-Limit") != strconv.Itoa(limit) || resp.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d: headers %v", n, resp.Header)
		}
	}
	// GCRA gives one request back every minute/limit: a slow machine may
	// earn one or two during the burst, never more. Usually the 101st is
	// refused; go on until both replicas have refused one.
	refill := time.Minute / limit
	refused := map[int]*http.Response{}
	extra := 0
	for n := limit + 1; len(refused) < 2; n++ {
		resp := send(n, "/api/openapi.json")
		if resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			extra++
			if allowed := int(time.Since(start) / refill); extra > allowed {
				t.Fatalf("request %d allowed: %d over the limit after %s, at most %d expected", n, extra, time.Since(start), allowed)
			}
			continue
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request %d: %s", n, resp.Status)
		}
		if _, seen := refused[n%2]; !seen {
			refused[n%2] = resp
		}
	}
	for i, resp := range refused {
		h := resp.Header
		retry, err := strconv.Atoi(h.Get("Retry-After"))
		if err != nil || retry < 1 || retry > int(refill/time.Second)+1 {
			t.Errorf("replica %d: Retry-After %q", i, h.Get("Retry-After"))
		}
		if h.Get("RateLimit-Limit") != strconv.Itoa(limit) || h.Get("RateLimit-Remaining") != "0" {
			t.Errorf("replica %d: RateLimit headers %v", i, h)
		}
		if reset, err := strconv.Atoi(h.Get("RateLimit-Reset")); err != nil || reset < retry || reset > 60 {
			t.Errorf("replica %d: RateLimit-Reset %q", i, h.Get("RateLimit-Reset"))
		}
		var p httpx.Problem
		if h.Get("Content-Type") != "application/problem+json" || json.NewDecoder(resp.Body).Decode(&p) != nil ||
			p.Status != http.StatusTooManyRequests || p.Detail == "" {
			t.Errorf("replica %d: 429 body %q %+v", i, h.Get("Content-Type"), p)
		}
	}

	// Probes are not limited, and other clients have limits of their own.
	if resp := send(0, "/healthz"); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
		t.Errorf("/healthz for a limited client: %s %v", resp.Status, resp.Header)
	}
	client = "198.51.100.77"
	if resp := send(1, "/api/openapi.json"); resp.StatusCode != http.StatusOK {
		t.Errorf("another client: %s", resp.Status)
	}
}
