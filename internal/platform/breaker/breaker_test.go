package breaker_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/breaker"
)

var quiet = slog.New(slog.DiscardHandler)

// startRedis runs a real redis-server for the test: the breaker's guarantees
// are about Redis semantics (scripts, SET NX PX), which a fake would assume.
func startRedis(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	r, err := devstack.StartRedis(ctx, devstack.RedisOptions{DataDir: t.TempDir(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	return r.Addr()
}

// worker is one process's view of a breaker: its own Redis client and Breaker.
func worker(t *testing.T, addr, name string, s breaker.Settings) *breaker.Breaker {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	return breaker.New(rdb, name, s, quiet)
}

func call(t *testing.T, b *breaker.Breaker, healthy bool) {
	t.Helper()
	ticket, err := b.Allow(context.Background())
	require.NoError(t, err)
	ticket.Report(context.Background(), healthy)
}

func requireOpen(t *testing.T, b *breaker.Breaker) *breaker.OpenError {
	t.Helper()
	_, err := b.Allow(context.Background())
	var open *breaker.OpenError
	require.ErrorAs(t, err, &open)
	return open
}

func TestFailuresOnOneWorkerOpenTheBreakerForAll(t *testing.T) {
	addr := startRedis(t)
	s := breaker.Settings{Failures: 3, OpenFor: time.Minute}
	a, b := worker(t, addr, "twilio", s), worker(t, addr, "twilio", s)

	call(t, a, false)
	call(t, b, false)
	call(t, a, true) // a success resets the count of consecutive failures
	call(t, a, false)
	call(t, b, false)
	state, err := a.State(context.Background())
	require.NoError(t, err)
	require.Equal(t, gobreaker.StateClosed, state, "two consecutive failures are below the threshold")

	call(t, b, false)
	open := requireOpen(t, a)
	assert.Equal(t, "twilio", open.Name)
	assert.InDelta(t, time.Minute.Seconds(), open.RetryIn.Seconds(), 1, "callers wait until the breaker is due for a probe")
	requireOpen(t, b)

	other := worker(t, addr, "sendgrid", s)
	_, err = other.Allow(context.Background())
	require.NoError(t, err, "each provider has its own breaker")
}

func TestHalfOpenLetsOneProbeThroughForTheCluster(t *testing.T) {
	addr := startRedis(t)
	s := breaker.Settings{Failures: 1, OpenFor: 200 * time.Millisecond}
	a, b := worker(t, addr, "push", s), worker(t, addr, "push", s)
	call(t, a, false)
	requireOpen(t, b)
	time.Sleep(250 * time.Millisecond)

	probe, err := a.Allow(context.Background())
	require.NoError(t, err, "the open period is over: a probe may go")
	waiting := requireOpen(t, b)
	assert.Equal(t, time.Second, waiting.RetryIn, "another worker waits for the probe")
	requireOpen(t, a)

	probe.Report(context.Background(), false)
	open := requireOpen(t, b)
	assert.Greater(t, open.RetryIn, 100*time.Millisecond, "a failed probe opens the breaker for a new period")

	time.Sleep(250 * time.Millisecond)
	probe, err = b.Allow(context.Background())
	require.NoError(t, err)
	probe.Report(context.Background(), true)
	for _, w := range []*breaker.Breaker{a, b} {
		_, err := w.Allow(context.Background())
		require.NoError(t, err, "a successful probe closes the breaker")
	}
}

func TestReleasedProbeLetsTheNextOneGo(t *testing.T) {
	addr := startRedis(t)
	s := breaker.Settings{Failures: 1, OpenFor: 100 * time.Millisecond}
	a, b := worker(t, addr, "sendgrid", s), worker(t, addr, "sendgrid", s)
	call(t, a, false)
	time.Sleep(150 * time.Millisecond)
	probe, err := a.Allow(context.Background())
	require.NoError(t, err)
	probe.Release(context.Background()) // e.g. the attempt could not be recorded, so nothing was sent
	_, err = b.Allow(context.Background())
	require.NoError(t, err)
}

// Reports from many workers at once must all count: gobreaker reads the state
// before it locks, so a store without compare-and-set loses updates here.
func TestConcurrentReportsAreNotLost(t *testing.T) {
	addr := startRedis(t)
	s := breaker.Settings{Failures: 1000, OpenFor: time.Minute}
	workers := []*breaker.Breaker{worker(t, addr, "twilio", s), worker(t, addr, "twilio", s), worker(t, addr, "twilio", s)}
	const perWorker = 30
	var wg sync.WaitGroup
	for _, w := range workers {
		for range perWorker {
			wg.Go(func() { call(t, w, false) })
		}
	}
	wg.Wait()

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	data, err := rdb.Get(context.Background(), "gobreaker:state:twilio").Bytes()
	require.NoError(t, err)
	var st gobreaker.SharedState
	require.NoError(t, json.Unmarshal(data, &st))
	assert.Equal(t, uint32(len(workers)*perWorker), st.Counts.ConsecutiveFailures)
}

func TestUnreachableRedisLetsCallsThrough(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	b := breaker.New(rdb, "twilio", breaker.Settings{Failures: 1}, quiet)
	for range 3 {
		ticket, err := b.Allow(context.Background())
		require.NoError(t, err)
		ticket.Report(context.Background(), false)
	}
	_, err := b.State(context.Background())
	require.Error(t, err, "State does not pretend")
}

func TestSetReturnsOneBreakerPerName(t *testing.T) {
	set := breaker.NewSet(nil, breaker.Settings{}, quiet)
	assert.Same(t, set.Get("twilio"), set.Get("twilio"))
	assert.NotSame(t, set.Get("twilio"), set.Get("sendgrid"))
	assert.Equal(t, "sendgrid", set.Get("sendgrid").Name())
}
