// Package breaker is a circuit breaker whose state lives in Redis, so every
// worker that calls a provider sees the same state: once the provider is found
// down, no worker calls it again until a single probe finds it back.
//
// The state machine is sony/gobreaker's (closed, then open after consecutive
// failures, half-open once the open period ends, then closed after a
// successful probe or open again after a failed one), shared through its
// DistributedCircuitBreaker. Two things are this package's own:
//
//   - Calls are not made inside gobreaker's Execute: DistributedCircuitBreaker
//     holds its store lock for the whole request, which would serialise every
//     call to a provider across the cluster. Allow admits a call by reading
//     the shared state, and the call's outcome is recorded afterwards by an
//     Execute that only reports it: two short steps, as gobreaker's
//     TwoStepCircuitBreaker does in one process.
//   - Half-open admits one probe for the whole cluster, through a Redis lease,
//     so a recovering provider gets one call rather than one per waiting worker.
//
// When Redis cannot be reached the breaker lets calls through: deliveries must
// not stop because the breaker's memory is down.
package breaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// Settings tune a breaker. Zero fields take the defaults.
type Settings struct {
	// Failures is how many consecutive failed calls open the breaker (5).
	Failures uint32
	// OpenFor is how long the breaker stays open before it lets a probe through (30 s).
	OpenFor time.Duration
	// ProbeTimeout is how long a probe may take before another may go, in
	// case the worker making it dies before reporting (30 s). Keep it above
	// the calls' own timeout.
	ProbeTimeout time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.Failures == 0 {
		s.Failures = 5
	}
	if s.OpenFor <= 0 {
		s.OpenFor = 30 * time.Second
	}
	if s.ProbeTimeout <= 0 {
		s.ProbeTimeout = 30 * time.Second
	}
	return s
}

// probeRetry is how soon a call turned away by another worker's probe asks
// again: the probe usually settles the breaker within a second.
const probeRetry = time.Second

// maxConflicts bounds how often a report is redone after losing a
// compare-and-set race to another worker.
const maxConflicts = 20

// errCallFailed is the outcome gobreaker counts as a failure.
var errCallFailed = errors.New("call failed")

// OpenError turns a call away while the breaker is open.
type OpenError struct {
	Name string
	// RetryIn is when the breaker will let a call (a probe) through.
	RetryIn time.Duration
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("circuit breaker %s is open: next call in %s", e.Name, e.RetryIn.Round(time.Millisecond))
}

// Breaker guards the calls to one provider. Every Breaker with the same name
// on the same Redis shares one state.
type Breaker struct {
	name     string
	rdb      redis.UniversalClient
	settings Settings
	logger   *slog.Logger

	mu    sync.Mutex // orders each report's read before its write (see store)
	store *store
	cb    *gobreaker.DistributedCircuitBreaker[struct{}]
}

// New returns the breaker called name. It does not touch Redis until used.
func New(rdb redis.UniversalClient, name string, s Settings, logger *slog.Logger) *Breaker {
	b := &Breaker{
		name: name, rdb: rdb, settings: s.withDefaults(), logger: logger,
		// The state outlives a long outage and is forgotten after a quiet
		// day, when it is closed again anyway.
		store: &store{rdb: rdb, ttl: 24 * time.Hour, read: map[string][]byte{}},
	}
	b.cb = b.store.newCircuitBreaker(b.gobreakerSettings())
	return b
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

// Allow asks to make one call. It returns a Ticket to report the call's
// outcome on, or an *OpenError that says how long to wait.
func (b *Breaker) Allow(ctx context.Context) (*Ticket, error) {
	st, err := b.shared(ctx)
	if err != nil {
		b.logger.Warn("circuit breaker state unavailable; letting the call through", "breaker", b.name, "error", err)
		return &Ticket{b: b}, nil
	}
	now := time.Now()
	b.observe(st, now)
	switch {
	case st.State == gobreaker.StateClosed:
		return &Ticket{b: b}, nil
	case st.State == gobreaker.StateOpen && now.Before(st.Expiry):
		return nil, &OpenError{Name: b.name, RetryIn: st.Expiry.Sub(now)}
	}
	// Half-open, or open and due for a probe: one call for the whole cluster.
	won, err := b.rdb.SetNX(ctx, b.probeKey(), 1, b.settings.ProbeTimeout).Result()
	if err != nil {
		b.logger.Warn("circuit breaker probe lease unavailable; letting the call through", "breaker", b.name, "error", err)
		return &Ticket{b: b}, nil
	}
	if !won {
		return nil, &OpenError{Name: b.name, RetryIn: probeRetry}
	}
	return &Ticket{b: b, probe: true}, nil
}

// State returns the shared state as a call would find it now.
func (b *Breaker) State(ctx context.Context) (gobreaker.State, error) {
	st, err := b.shared(ctx)
	if err != nil {
		return gobreaker.StateClosed, err
	}
	return effectiveState(st, time.Now()), nil
}

// Ticket is the permission to make one call. Report its outcome, or Release
// it when no call was made.
type Ticket struct {
	b     *Breaker
	probe bool
}

// Report records the call's outcome. healthy is false when the provider
// failed as a provider that is down does (5xx, 429, timeout, refused
// connection), and true when it answered, even with a refusal: an invalid
// phone number says nothing about the provider's health.
func (t *Ticket) Report(ctx context.Context, healthy bool) {
	if err := t.b.record(healthy); err != nil {
		t.b.logger.Warn("circuit breaker could not record a call", "breaker", t.b.name, "healthy", healthy, "error", err)
	}
	t.Release(ctx)
}

// Release gives a probe's lease back, so the next probe need not wait for it
// to expire. It does nothing for other tickets.
func (t *Ticket) Release(ctx context.Context) {
	if !t.probe {
		return
	}
	t.probe = false
	if err := t.b.rdb.Del(context.WithoutCancel(ctx), t.b.probeKey()).Err(); err != nil {
		t.b.logger.Warn("circuit breaker could not release its probe lease", "breaker", t.b.name, "error", err)
	}
}

// record feeds one outcome to gobreaker's state machine on the shared state.
func (b *Breaker) record(healthy bool) error {
	var outcome error
	if !healthy {
		outcome = errCallFailed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	for range maxConflicts {
		before := b.store.read[b.stateKey()]
		_, err = b.cb.Execute(func() (struct{}, error) { return struct{}{}, outcome })
		switch {
		case errors.Is(err, errConflict):
			continue // another worker wrote first: redo on the state it wrote
		case errors.Is(err, outcome), errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
			// Recorded, or ignored because the breaker already decided
			// (a late failure while open, a second result while half-open).
			after := b.store.read[b.stateKey()]
			b.logTransition(before, after)
			breakerState.WithLabelValues(b.name).Set(float64(stateOf(after)))
			return nil
		default:
			return err
		}
	}
	return fmt.Errorf("gave up after %d conflicting writes: %w", maxConflicts, err)
}

func (b *Breaker) gobreakerSettings() gobreaker.Settings {
	failures := b.settings.Failures
	return gobreaker.Settings{
		Name:        b.name,
		MaxRequests: 1, // one successful probe closes it
		Timeout:     b.settings.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
	}
}

func (b *Breaker) logTransition(before, after []byte) {
	from, to := stateOf(before), stateOf(after)
	if from == to {
		return
	}
	level := slog.LevelInfo
	if to == gobreaker.StateOpen {
		level = slog.LevelWarn
	}
	b.logger.Log(context.Background(), level, "circuit breaker "+to.String(), "breaker", b.name, "from", from.String())
}

// shared reads the shared state; no state yet means closed.
func (b *Breaker) shared(ctx context.Context) (gobreaker.SharedState, error) {
	data, err := b.rdb.Get(ctx, b.stateKey()).Bytes()
	if errors.Is(err, redis.Nil) {
		return gobreaker.SharedState{State: gobreaker.StateClosed}, nil
	}
	if err != nil {
		return gobreaker.SharedState{}, err
	}
	var st gobreaker.SharedState
	err = json.Unmarshal(data, &st)
	return st, err
}

func stateOf(data []byte) gobreaker.State {
	var st gobreaker.SharedState
	if len(data) == 0 || json.Unmarshal(data, &st) != nil {
		return gobreaker.StateClosed
	}
	return st.State
}

// stateKey is where gobreaker's DistributedCircuitBreaker keeps the state
// (its sharedStateKey); Allow reads it directly.
func (b *Breaker) stateKey() string { return "gobreaker:state:" + b.name }

func (b *Breaker) probeKey() string { return "breaker:probe:" + b.name }

// breakerState is each breaker's state as this worker last saw it: on every
// call it asks to make and every outcome it records. An open breaker that
// is due for a probe shows half-open.
var breakerState = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Name: "orderflow_breaker_state",
	Help: "Circuit breaker state by provider: 0 closed, 1 half-open, 2 open.",
}, []string{"provider"})

func (b *Breaker) observe(st gobreaker.SharedState, now time.Time) {
	breakerState.WithLabelValues(b.name).Set(float64(effectiveState(st, now)))
}

// effectiveState is the state a call finds: an open breaker past its
// expiry lets a probe through, as a half-open one does.
func effectiveState(st gobreaker.SharedState, now time.Time) gobreaker.State {
	if st.State == gobreaker.StateOpen && !now.Before(st.Expiry) {
		return gobreaker.StateHalfOpen
	}
	return st.State
}
