package ratelimit_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
)

var quiet = slog.New(slog.DiscardHandler)

// replica is one API process's limiter: its own Redis client, the shared Redis.
func replica(t *testing.T, addr string, perMinute int) http.Handler {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	return ratelimit.Middleware(ratelimit.Options{
		Store:   ratelimit.NewRedis(rdb, "api:", perMinute, time.Minute),
		Key:     func(r *http.Request) string { return ratelimit.IPKey(httpx.ClientIP(nil)(r)) },
		Applies: func(r *http.Request) bool { return httpx.IsAPIPath(r.URL.Path) },
		Logger:  quiet,
	})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
}

func get(h http.Handler, path, ip string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = ip + ":1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// The limit is one per client across replicas, in a real Redis: the
// guarantees are Redis's (an atomic script), which a fake would assume.
func TestLimitIsSharedByReplicasAndPerClient(t *testing.T) {
	rd, err := devstack.StartRedis(context.Background(), devstack.RedisOptions{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = rd.Stop(context.Background())
		}
	})
	const limit = 5
	a, b := replica(t, rd.Addr(), limit), replica(t, rd.Addr(), limit)
	for i := range limit {
		rec := get([]http.Handler{a, b}[i%2], "/api/orders", "198.51.100.7")
		if rec.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("RateLimit-Remaining"); got != strconv.Itoa(limit-1-i) {
			t.Fatalf("request %d: RateLimit-Remaining %q", i+1, got)
		}
		if rec.Header().Get("RateLimit-Limit") != "5" || rec.Header().Get("Retry-After") != "" {
			t.Fatalf("request %d: headers %v", i+1, rec.Header())
		}
	}
	rec := get(a, "/api/orders", "198.51.100.7")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request %d: %d, want 429", limit+1, rec.Code)
	}
	retry, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
	reset, _ := strconv.Atoi(rec.Header().Get("RateLimit-Reset"))
	// One request every 60s/5 = 12s comes back.
	if retry < 1 || retry > 12 || reset < retry || reset > 60 || rec.Header().Get("RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", rec.Header())
	}
	var p httpx.Problem
	if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != 429 {
		t.Fatalf("429 body %q %s", rec.Header().Get("Content-Type"), rec.Body)
	}
	// Another client, and paths outside /api, are not affected.
	if rec := get(b, "/api/orders", "198.51.100.8"); rec.Code != http.StatusNoContent {
		t.Fatalf("other client: %d", rec.Code)
	}
	if rec := get(b, "/healthz", "198.51.100.7"); rec.Code != http.StatusNoContent || rec.Header().Get("RateLimit-Limit") != "" {
		t.Fatalf("/healthz: %d %v", rec.Code, rec.Header())
	}

	// Redis down: requests pass unchecked rather than all failing.
	stopped = true
	if err := rd.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := get(a, "/api/orders", "198.51.100.7"); rec.Code != http.StatusNoContent || rec.Header().Get("RateLimit-Limit") != "" {
		t.Fatalf("with Redis down: %d %v", rec.Code, rec.Header())
	}
}

func TestKeyGroupsIPv6ByPrefix(t *testing.T) {
	k := func(s string) string { return ratelimit.IPKey(netip.MustParseAddr(s)) }
	if k("2001:db8:1:2::1") != k("2001:db8:1:2:ffff::9") || k("2001:db8:1:2::1") == k("2001:db8:1:3::1") {
		t.Fatal("IPv6 clients are not keyed by their /64")
	}
	if k("198.51.100.1") == k("198.51.100.2") || !strings.HasSuffix(k("198.51.100.1"), "198.51.100.1") {
		t.Fatal("IPv4 clients are not keyed by address")
	}
	if ratelimit.IPKey(netip.Addr{}) == "" {
		t.Fatal("no key for an unknown client")
	}
}
