// Package ratelimit limits how often each client may call the API. The
// counts live in Redis, so every API replica enforces one shared limit per
// client rather than one each; the algorithm is GCRA (github.com/go-redis/redis_rate),
// which needs one key per client and one atomic script call per request.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/logging"
)

// Result is one decision of a Store.
type Result struct {
	Allowed bool
	// Limit is the number of requests a client may make in Window; Remaining
	// is how many more it may make right now.
	Limit, Remaining int
	Window           time.Duration
	// RetryAfter is when the next request will be allowed (when this one
	// was not); ResetAfter when the client is back to the full Limit.
	RetryAfter, ResetAfter time.Duration
}

// Store decides whether the client named key may make one more request.
type Store interface {
	Allow(ctx context.Context, key string) (Result, error)
}

// Redis is a Store in Redis, shared by every process that uses the same Redis.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
	limit   redis_rate.Limit
}

// NewRedis allows n requests per period and key, in a burst or spread out.
// prefix keeps apart the counts of different limits on the same key.
func NewRedis(rdb redis.UniversalClient, prefix string, n int, period time.Duration) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(rdb), prefix: prefix,
		limit: redis_rate.Limit{Rate: n, Burst: n, Period: period}}
}

// Allow implements Store.
func (s *Redis) Allow(ctx context.Context, key string) (Result, error) {
	res, err := s.limiter.Allow(ctx, s.prefix+key, s.limit)
	if err != nil {
		return Result{}, err
	}
	remaining := res.Remaining
	if res.Allowed > 0 {
		// redis_rate computes Remaining in floating point on seconds since
		// 2017, and truncates 98.99999 to 98 after a fresh client's first
		// request. Derive it from ResetAfter (the time until the full burst
		// is back), allowing for that noise.
		interval := s.limit.Period.Seconds() / float64(s.limit.Rate)
		used := int(math.Ceil(res.ResetAfter.Seconds()/interval - 1e-6))
		remaining = min(max(s.limit.Burst-used, 0), s.limit.Burst)
	}
	return Result{
		Allowed: res.Allowed > 0, Limit: s.limit.Rate, Remaining: remaining, Window: s.limit.Period,
		RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter,
	}, nil
}

// Reset forgets key's count: a client that proved itself starts afresh.
func (s *Redis) Reset(ctx context.Context, key string) error {
	return s.limiter.Reset(ctx, s.prefix+key)
}

var (
	rejected = promauto.NewCounter(prometheus.CounterOpts{
		Name: "orderflow_rate_limit_rejected_total",
		Help: "API requests refused with 429 because their client exceeded its rate limit.",
	})
	failedOpen = promauto.NewCounter(prometheus.CounterOpts{
		Name: "orderflow_rate_limit_errors_total",
		Help: "API requests let through unchecked because the rate limit store (Redis) failed.",
	})
)

// Options configure Middleware.
type Options struct {
	Store Store
	// Key names whose count a request is (IPKey, UserKey).
	Key func(*http.Request) string
	// Applies selects the requests that are limited; nil limits all.
	Applies func(*http.Request) bool
	Logger  *slog.Logger
	// Timeout bounds each Store call (default 250ms).
	Timeout time.Duration
	// Backstop marks a limit behind another one, looser: its RateLimit
	// headers go out only with its 429, so clients see where they stand
	// with the limit they meet first.
	Backstop bool
}

// Middleware answers 429 problem+json, with Retry-After, to a client over
// its limit, and tells every limited client where it stands with the IETF
// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers
// (draft-ietf-httpapi-ratelimit-headers; RateLimit-Policy names the window).
func Middleware(o Options) func(http.Handler) http.Handler {
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	outage := &logging.Sampler{Every: 10 * time.Second}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if o.Applies != nil && !o.Applies(r) {
				next.ServeHTTP(w, r)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), o.Timeout)
			res, err := o.Store.Allow(ctx, o.Key(r))
			cancel()
			if err != nil {
				// Fail open: the limit protects the API from abuse, but
				// refusing every request while Redis is down would turn a
				// cache outage into a full API outage for every client.
				// Requests still pass the API's own timeouts and Temporal's
				// rate limits. Logged at most every 10s, so an outage does
				// not flood the log; the counter shows its extent.
				failedOpen.Inc()
				if o.Logger != nil && outage.Allow() {
					o.Logger.Warn("rate limit store failed; letting requests through unchecked",
						"request_id", httpx.RequestID(r.Context()), "error", err)
				}
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			if !res.Allowed || !o.Backstop {
				h.Set("RateLimit-Limit", strconv.Itoa(res.Limit))
				h.Set("RateLimit-Remaining", strconv.Itoa(max(res.Remaining, 0)))
				h.Set("RateLimit-Reset", strconv.Itoa(seconds(res.ResetAfter)))
				h.Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d", res.Limit, seconds(res.Window)))
			}
			if !res.Allowed {
				retry := max(seconds(res.RetryAfter), 1)
				h.Set("Retry-After", strconv.Itoa(retry))
				rejected.Inc()
				httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusTooManyRequests,
					fmt.Sprintf("rate limit of %d requests per %s exceeded; retry in %d s", res.Limit, res.Window, retry)))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// seconds rounds d up to whole seconds, as the headers count them.
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

// IPKey is the key of a client address. An IPv6 client usually holds a
// whole /64 and can pick any address in it, so IPv6 clients are counted by
// their /64.
func IPKey(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "ip:unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// UserKey is the key of a signed-in user, wherever they call from.
func UserKey(userID string) string { return "user:" + userID }
