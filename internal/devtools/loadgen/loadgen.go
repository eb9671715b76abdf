// Package loadgen drives the REST API like a crowd of shoppers: a closed loop
// of concurrent clients, each placing an order and following it to its final
// status, and reports throughput and end-to-end latency percentiles. It
// measures the whole platform (API, Temporal, workers, PostgreSQL, Kafka),
// which is what the README's figures are.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape a run.
type Options struct {
	APIURL      string
	Orders      int      // how many orders in all
	Concurrency int      // clients placing orders at once
	SKUs        []string // round-robin; one unit each
	Token       string   // payment token, e.g. tok_visa
	Timeout     time.Duration
	// Follow is how each client follows its order to the end: FollowWait
	// (a long-poll per status change) or FollowPoll (a read every 20 ms).
	Follow string
	// Email and Password sign in the customer who places the orders.
	Email, Password string
}

// Report is what a run measured.
type Report struct {
	Orders     int            `json:"orders"`
	Elapsed    time.Duration  `json:"elapsed"`
	Throughput float64        `json:"orders_per_second"` // final orders per second
	Statuses   map[string]int `json:"statuses"`          // final status -> count
	Reasons    map[string]int `json:"failure_reasons,omitempty"`
	Errors     int            `json:"errors"` // requests that did not reach a final status
	FirstError string         `json:"first_error,omitempty"`
	P50        time.Duration  `json:"p50"`
	P95        time.Duration  `json:"p95"`
	P99        time.Duration  `json:"p99"`
	Max        time.Duration  `json:"max"`
}

func (r Report) String() string {
	if r.FirstError != "" {
		return r.summary() + "; first error: " + r.FirstError
	}
	return r.summary()
}

func (r Report) summary() string {
	return fmt.Sprintf("%d orders in %s: %.1f orders/s; latency p50 %s p95 %s p99 %s max %s; statuses %v; reasons %v; errors %d",
		r.Orders, r.Elapsed.Round(time.Millisecond), r.Throughput, r.P50.Round(time.Millisecond), r.P95.Round(time.Millisecond),
		r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond), r.Statuses, r.Reasons, r.Errors)
}

type outcome struct {
	status, reason string
	latency        time.Duration
	err            error
}

// Run places o.Orders orders with o.Concurrency clients and waits for each
// to reach completed, failed or cancelled.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Orders < 1 || o.Concurrency < 1 || len(o.SKUs) == 0 {
		return Report{}, errors.New("loadgen: want orders >= 1, concurrency >= 1 and at least one SKU")
	}
	if o.Follow != FollowWait && o.Follow != FollowPoll {
		return Report{}, fmt.Errorf("loadgen: follow %q: want %s or %s", o.Follow, FollowWait, FollowPoll)
	}
	// Longer than a long-poll's 20 s.
	c := &caller{http: &http.Client{Timeout: 30 * time.Second}, api: o.APIURL, email: o.Email, password: o.Password}
	if err := c.signIn(ctx, ""); err != nil {
		return Report{}, err
	}
	var next atomic.Int64
	results := make(chan outcome, o.Orders)
	start := time.Now()
	var wg sync.WaitGroup
	for range min(o.Concurrency, o.Orders) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= o.Orders || ctx.Err() != nil {
					return
				}
				results <- placeAndFollow(ctx, c, o, n)
			}
		}()
	}
	wg.Wait()
	close(results)
	elapsed := time.Since(start)

	rep := Report{Orders: o.Orders, Elapsed: elapsed, Statuses: map[string]int{}, Reasons: map[string]int{}}
	var latencies []time.Duration
	for r := range results {
		if r.err != nil {
			rep.Errors++
			if rep.FirstError == "" {
				rep.FirstError = r.err.Error()
			}
			continue
		}
		rep.Statuses[r.status]++
		if r.reason != "" {
			rep.Reasons[r.reason]++
		}
		latencies = append(latencies, r.latency)
	}
	if len(latencies) > 0 {
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
		rep.P50, rep.P95, rep.P99, rep.Max = pct(0.50), pct(0.95), pct(0.99), slices.Max(latencies)
		rep.Throughput = float64(len(latencies)) / elapsed.Seconds()
	}
	return rep, nil
}

// How a client follows its order (Options.Follow).
const (
	FollowWait = "wait"
	FollowPoll = "poll"
)

type orderView struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	FailureReason string `json:"failure_reason"`
}

func placeAndFollow(ctx context.Context, c *caller, o Options, n int) outcome {
	body, _ := json.Marshal(map[string]any{
		"items":   []map[string]any{{"sku": o.SKUs[n%len(o.SKUs)], "quantity": 1}},
		"payment": map[string]string{"token": o.Token},
		"contact": map[string]string{"email": fmt.Sprintf("load-%d@example.com", n)},
	})
	start := time.Now()
	var placed orderView
	if err := c.call(ctx, http.MethodPost, "/api/orders", body, http.StatusAccepted, &placed); err != nil {
		return outcome{err: err}
	}
	deadline := start.Add(o.Timeout)
	cur := placed
	for time.Now().Before(deadline) {
		path := "/api/orders/" + placed.ID
		if o.Follow == FollowWait {
			// Answered when the status moves on (or after 20 s as it is).
			path += "?wait=20s&status_not=" + url.QueryEscape(cur.Status)
		}
		if err := c.call(ctx, http.MethodGet, path, nil, http.StatusOK, &cur); err != nil {
			return outcome{err: err}
		}
		switch cur.Status {
		case "completed", "failed", "cancelled":
			return outcome{status: cur.Status, reason: cur.FailureReason, latency: time.Since(start)}
		}
		if o.Follow == FollowWait {
			continue
		}
		select {
		case <-ctx.Done():
			return outcome{err: ctx.Err()}
		case <-time.After(20 * time.Millisecond):
		}
	}
	return outcome{err: fmt.Errorf("order %s not final after %s", placed.ID, o.Timeout)}
}

// caller calls the API as one signed-in customer, signing in again when the
// access token expires during a long run.
type caller struct {
	http            *http.Client
	api             string
	email, password string
	mu              sync.Mutex
	token           string
}

// signIn gets a new access token, unless another client already replaced
// the stale one.
func (c *caller) signIn(ctx context.Context, stale string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != stale {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"email": c.email, "password": c.password})
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/auth/login", body, "", http.StatusOK, &tokens); err != nil {
		return fmt.Errorf("sign in as %s: %w", c.email, err)
	}
	c.token = tokens.AccessToken
	return nil
}

func (c *caller) call(ctx context.Context, method, path string, body []byte, want int, out any) error {
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	err := c.do(ctx, method, path, body, token, want, out)
	if errors.Is(err, errUnauthorized) {
		if err := c.signIn(ctx, token); err != nil {
			return err
		}
		c.mu.Lock()
		token = c.token
		c.mu.Unlock()
		err = c.do(ctx, method, path, body, token, want, out)
	}
	return err
}

var errUnauthorized = errors.New("401 Unauthorized")

func (c *caller) do(ctx context.Context, method, path string, body []byte, token string, want int, out any) error {
	url := c.api + path
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized && token != "":
		return fmt.Errorf("%s %s: %w", method, url, errUnauthorized)
	case resp.StatusCode == http.StatusTooManyRequests:
		// The api limits requests per user; a load test is one user.
		return fmt.Errorf("%s %s: rate limited (%s): run the api with RATE_LIMIT_PER_MINUTE=0 (or high enough) for a load test", method, url, resp.Status)
	case resp.StatusCode != want:
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}
