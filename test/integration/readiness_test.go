package integration

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workflows"
)

// An api whose Redis is down stays ready (in its Service) and serves: its
// rate limits fail open, only sign-ins answer 503, and /readyz says what is
// degraded. Its liveness never looks outside the process.
func TestAPIIsReadyWithoutRedis(t *testing.T) {
	url, ops := startAPIReplicaWithOps(t, func(c *config.Stack) { c.RedisURL = "redis://" + freeAddr() + "/0" }) // nothing listens there

	checks := readiness(t, ops+"/readyz")
	require.Equal(t, "ok", checks["postgres"])
	require.Equal(t, "ok", checks["temporal"])
	require.True(t, strings.HasPrefix(checks["redis"], "degraded: "), "redis: %q", checks["redis"])
	resp, err := http.Get(ops + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Rate-limited reads still answer.
	resp, err = http.Get(url + "/api/products")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// Sign-ins, whose throttle is in Redis, are refused for a moment.
	resp, err = http.Post(url+"/api/auth/login", "application/json", strings.NewReader(credentials(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
}

// A worker whose Kafka is down stays ready, so a rollout goes on: its
// outbox relay retries, nothing waits on it.
func TestWorkerIsReadyWithoutKafka(t *testing.T) {
	cfg := stack.cfg
	cfg.OpsAddr = freeAddr()
	cfg.KafkaBrokers = config.List{freeAddr()} // nothing listens there
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		if err := app.RunWorker(ctx, workflows.InventoryTaskQueue, config.LookupOf(cfg), slog.New(slog.DiscardHandler)); err != nil && ctx.Err() == nil {
			t.Errorf("inventory worker: %v", err)
		}
	})
	url := "http://" + cfg.OpsAddr
	require.NoError(t, waitReady(url+"/readyz", time.Minute))
	checks := readiness(t, url+"/readyz")
	require.True(t, strings.HasPrefix(checks["kafka"], "degraded: "), "kafka: %q", checks["kafka"])
	require.Equal(t, "ok", checks["postgres"])
}

// readiness is /readyz's checks, which must answer 200.
func readiness(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct{ Checks map[string]string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body.Checks)
	return body.Checks
}
