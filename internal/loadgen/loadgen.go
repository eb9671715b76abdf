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
	client := &http.Client{Timeout: 10 * time.Second}
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
				results <- placeAndFollow(ctx, client, o, n)
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

type orderView struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	FailureReason string `json:"failure_reason"`
}

func placeAndFollow(ctx context.Context, client *http.Client, o Options, n int) outcome {
	body, _ := json.Marshal(map[string]any{
		"customer_id": fmt.Sprintf("load-%d", n%1000),
		"items":       []map[string]any{{"sku": o.SKUs[n%len(o.SKUs)], "quantity": 1}},
		"payment":     map[string]string{"token": o.Token},
		"contact":     map[string]string{"email": fmt.Sprintf("load-%d@example.com", n)},
	})
	start := time.Now()
	var placed orderView
	if err := call(ctx, client, http.MethodPost, o.APIURL+"/api/orders", body, http.StatusAccepted, &placed); err != nil {
		return outcome{err: err}
	}
	deadline := start.Add(o.Timeout)
	for time.Now().Before(deadline) {
		var cur orderView
		if err := call(ctx, client, http.MethodGet, o.APIURL+"/api/orders/"+placed.ID, nil, http.StatusOK, &cur); err != nil {
			return outcome{err: err}
		}
		switch cur.Status {
		case "completed", "failed", "cancelled":
			return outcome{status: cur.Status, reason: cur.FailureReason, latency: time.Since(start)}
		}
		select {
		case <-ctx.Done():
			return outcome{err: ctx.Err()}
		case <-time.After(20 * time.Millisecond):
		}
	}
	return outcome{err: fmt.Errorf("order %s not final after %s", placed.ID, o.Timeout)}
}

func call(ctx context.Context, client *http.Client, method, url string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		// The api limits requests per client IP; a load test is one client.
		return fmt.Errorf("%s %s: rate limited (%s): run the api with RATE_LIMIT_PER_MINUTE=0 (or high enough) for a load test", method, url, resp.Status)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}
