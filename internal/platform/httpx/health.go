package httpx

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderflow/orderflow/internal/platform/buildinfo"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// Check is the readiness check of one dependency: Probe reports whether
// it answers. An Optional one is a dependency the role still does its job
// without, worse: the api without Redis (rate limits fail open, sign-ins
// answer 503), a worker without Kafka (its outbox relay retries). Its
// failure shows in /readyz's body and in orderflow_dependency_ready, but
// leaves the role ready: an outage of it must not take every replica out
// of its Service, or stop a rollout.
type Check struct {
	Probe    func(ctx context.Context) error
	Optional bool
}

// degradedPrefix starts the state /readyz reports for an optional check
// that failed.
const degradedPrefix = "degraded: "

// MountOps adds /healthz (the process lives), /readyz (every dependency in
// checks answers within two seconds, but the optional ones) and /metrics
// (Prometheus) to r. Kubernetes restarts on a failing /healthz but only
// stops routing traffic on a failing /readyz, so /healthz deliberately
// checks nothing outside the process.
func MountOps(r *mux.Router, checks map[string]Check) {
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		status, results := http.StatusOK, runChecks(ctx, checks)
		for _, res := range results {
			if res != "ok" && !strings.HasPrefix(res, degradedPrefix) {
				status = http.StatusServiceUnavailable
			}
		}
		WriteJSON(w, status, map[string]any{"status": http.StatusText(status), "checks": results})
	}).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.Handler()).Methods(http.MethodGet)
}

// buildInfo is 1, labelled with the binary's version and commit: during a
// rollout, dashboards and alerts tell the versions' pods apart by it.
var buildInfo = promauto.NewGauge(prometheus.GaugeOpts{
	Name:        "orderflow_build_info",
	Help:        "1, labelled with the binary's version (its workers' build ID), commit and Go version.",
	ConstLabels: prometheus.Labels{"version": buildinfo.Version(), "commit": buildinfo.Commit(), "goversion": runtime.Version()},
})

func init() { buildInfo.Set(1) }

// dependencyReady is each role's dependencies' readiness, as WatchReadiness
// last found it (the role label keeps apart the roles that share a process
// in tests; in a cluster it says what the job says).
var dependencyReady = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Name: "orderflow_dependency_ready",
	Help: "1 when the dependency answered the role's readiness check, 0 when not.",
}, []string{"role", "dependency"})

// WatchReadiness runs the checks every interval until ctx ends and records
// each in orderflow_dependency_ready, so that an alert sees a dependency a
// role cannot reach even when nothing probes its /readyz.
func WatchReadiness(ctx context.Context, role string, checks map[string]Check, every time.Duration) {
	telemetry.Sample(ctx, every, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		for name, state := range runChecks(ctx, checks) {
			ready := 0.0
			if state == "ok" {
				ready = 1
			}
			dependencyReady.WithLabelValues(role, name).Set(ready)
		}
	})
}

// runChecks runs every check concurrently so one slow dependency does not
// hide the state of the others, and answers by ctx's deadline whatever a
// probe that ignores it does: a hung dependency is then reported as not
// answering (degraded, for an optional one) instead of holding the probe
// past its own timeout.
func runChecks(ctx context.Context, checks map[string]Check) map[string]string {
	type result struct{ name, state string }
	out := make(chan result, len(checks))
	for name, check := range checks {
		go func() {
			state := "ok"
			if err := check.Probe(ctx); err != nil {
				state = stateOf(check, err)
			}
			out <- result{name, state}
		}()
	}
	results := make(map[string]string, len(checks))
	for len(results) < len(checks) {
		select {
		case r := <-out:
			results[r.name] = r.state
		case <-ctx.Done():
			for name, check := range checks {
				if _, done := results[name]; !done {
					results[name] = stateOf(check, fmt.Errorf("no answer: %w", ctx.Err()))
				}
			}
		}
	}
	return results
}

func stateOf(check Check, err error) string {
	if check.Optional {
		return degradedPrefix + err.Error()
	}
	return err.Error()
}
