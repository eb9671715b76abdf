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
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// startAPIReplica starts one more API on the stack with its configuration
// changed by change, and returns its URL once it is ready. It stops when the
// test ends.
func startAPIReplica(t *testing.T, change func(*config.Stack)) string {
	url, _ := startAPIReplicaWithOps(t, change)
	return url
}

// startAPIReplicaWithOps is startAPIReplica, returning its ops URL too.
func startAPIReplicaWithOps(t *testing.T, change func(*config.Stack)) (url, ops string) {
	t.Helper()
	cfg := stack.cfg
	cfg.APIAddr, cfg.OpsAddr = freeAddr(), freeAddr()
	change(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		if err := app.RunAPI(ctx, settings[config.API](cfg), slog.New(slog.DiscardHandler)); err != nil && ctx.Err() == nil {
			t.Errorf("replica %s: %v", cfg.APIAddr, err)
		}
	})
	url, ops = "http://"+cfg.APIAddr, "http://"+cfg.OpsAddr
	if err := waitReady(ops+"/readyz", time.Minute); err != nil {
		t.Fatal(err)
	}
	return url, ops
}

// rateLimitedReplicas starts two more API replicas on the stack's Redis
// with a limit of limit requests per minute.
func rateLimitedReplicas(t *testing.T, limit int) []string {
	t.Helper()
	var replicas []string
	for range 2 {
		replicas = append(replicas, startAPIReplica(t, func(c *config.Stack) { c.RateLimitPerMinute = limit }))
	}
	return replicas
}

// randomClient is an address of a client of the test's own (the loopback
// peer is a trusted proxy by default, so X-Forwarded-For names it), whose
// count other tests' requests and earlier runs do not touch.
func randomClient() string {
	return fmt.Sprintf("2001:db8:%x:%x::1", rand.Uint32N(1<<16), rand.Uint32N(1<<16))
}

// spendLimit sends request n = 1, 2, ... with send, which alternates the
// replicas by n%2, until the burst of limit is spent and both replicas have
// refused a request: the first limit must pass with the RateLimit headers,
// and after them at most as many as GCRA gave back meanwhile. The 429 of
// each replica must say when to retry, in headers and body.
func spendLimit(t *testing.T, limit int, send func(n int) *http.Response) {
	t.Helper()
	start := time.Now()
	for n := 1; n <= limit; n++ {
		resp := send(n)
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
	refill := time.Minute / time.Duration(limit)
	refused := map[int]*http.Response{}
	extra := 0
	for n := limit + 1; len(refused) < 2; n++ {
		resp := send(n)
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
		} else {
			resp.Body.Close()
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
		resp.Body.Close()
	}
}

// sendTo sends a GET of path to url with headers and returns the answer,
// closed when the test ends.
func sendTo(t *testing.T, url, path string, headers ...map[string]string) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(request(t, http.MethodGet, url+path, "", headers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRateLimitIsSharedByReplicas starts two more API replicas on the
// stack's Redis with a limit of 100 requests per minute, alternates one
// anonymous client's requests between them, and expects the 101st to be
// refused by whichever replica gets it: the count is shared, not per process.
func TestRateLimitIsSharedByReplicas(t *testing.T) {
	const limit = 100
	replicas := rateLimitedReplicas(t, limit)
	client := randomClient()
	send := func(n int, path string) *http.Response {
		t.Helper()
		return sendTo(t, replicas[n%2], path, anonymous, map[string]string{"X-Forwarded-For": client})
	}
	spendLimit(t, limit, func(n int) *http.Response { return send(n, "/api/openapi.json") })

	// Other clients have limits of their own.
	client = "198.51.100.77"
	if resp := send(1, "/api/openapi.json"); resp.StatusCode != http.StatusOK {
		t.Errorf("another client: %s", resp.Status)
	}
}

// A signed-in user is counted as one client wherever their requests come
// from: the 101st is refused although every request names another address
// and the replicas alternate, while another user and the addresses used
// keep their own limits.
func TestRateLimitCountsASignedInUserWhereverTheyCallFrom(t *testing.T) {
	const limit = 100
	replicas := rateLimitedReplicas(t, limit)
	user, other := newCustomer(t), newCustomer(t)
	var lastClient string
	spendLimit(t, limit, func(n int) *http.Response {
		lastClient = randomClient()
		return sendTo(t, replicas[n%2], "/api/users/me", bearer(user.AccessToken), map[string]string{"X-Forwarded-For": lastClient})
	})

	if resp := sendTo(t, replicas[0], "/api/users/me", bearer(other.AccessToken), map[string]string{"X-Forwarded-For": lastClient}); resp.StatusCode != http.StatusOK {
		t.Errorf("another user from the same address: %s", resp.Status)
	}
	if resp := sendTo(t, replicas[1], "/api/openapi.json", anonymous, map[string]string{"X-Forwarded-For": lastClient}); resp.StatusCode != http.StatusOK {
		t.Errorf("an anonymous client at the user's last address: %s", resp.Status)
	}
}

// Signed-in users at one address share a looser allowance of ten times the
// per-user limit, so fresh accounts made by the dozen at one address do not
// multiply what it may send; each user's own headers show their own limit.
func TestSignedInUsersAtOneAddressShareABackstop(t *testing.T) {
	const limit = 10
	backstop := config.SignedInPerAddress * limit
	replica := rateLimitedReplicas(t, limit)[0]
	var crowd []session
	for range backstop/limit + 5 { // enough that the address runs out well before any user does
		crowd = append(crowd, newCustomer(t))
	}
	address := randomClient()
	start := time.Now()
	sent := 0
	for round := range limit {
		for _, u := range crowd {
			resp := sendTo(t, replica, "/api/users/me", bearer(u.AccessToken), map[string]string{"X-Forwarded-For": address})
			sent++
			if resp.StatusCode == http.StatusOK {
				if got := resp.Header.Get("RateLimit-Limit"); got != strconv.Itoa(limit) {
					t.Fatalf("a user's request shows RateLimit-Limit %q, want their own %d", got, limit)
				}
				continue
			}
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("RateLimit-Limit") != strconv.Itoa(backstop) {
				t.Fatalf("request %d (round %d): %s %v, want the address's 429", sent, round, resp.Status, resp.Header)
			}
			// GCRA gives one back every minute/backstop meanwhile.
			if earned := int(time.Since(start) / (time.Minute / time.Duration(backstop))); sent > backstop+earned+1 {
				t.Fatalf("refused only at request %d of the address, limit %d", sent, backstop)
			}
			if resp := sendTo(t, replica, "/api/users/me", bearer(u.AccessToken), map[string]string{"X-Forwarded-For": randomClient()}); resp.StatusCode != http.StatusOK {
				t.Fatalf("the same user from another address: %s", resp.Status)
			}
			return
		}
	}
	t.Fatalf("%d requests from one address by %d users, none refused", sent, len(crowd))
}
