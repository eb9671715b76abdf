package httpx

import (
	"context"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderflow/orderflow/internal/platform/buildinfo"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// Check reports whether one dependency answers.
type Check func(ctx context.Context) error

// OptionalCheck is the check of a dependency the role still does its job
// without, worse: the api without Redis (rate limits fail open, sign-ins
// answer 503), a worker without Kafka (its outbox relay retries). Its
// failure shows in /readyz's body and in orderflow_dependency_ready, but
// leaves the role ready: an outage of it must not take every replica out
// of its Service, or stop a rollout.
func OptionalCheck(check Check) Check {
	return func(ctx context.Context) error {
		if err := check(ctx); err != nil {
			return optionalDown{err}
		}
		return nil
	}
}

type optionalDown struct{ error }

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
// hide the state of the others.
func runChecks(ctx context.Context, checks map[string]Check) map[string]string {
	type result struct{ name, state string }
	out := make(chan result, len(checks))
	names := make([]string, 0, len(checks))
	for name, check := range checks {
		names = append(names, name)
		go func() {
			state := "ok"
			if err := check(ctx); err != nil {
				state = err.Error()
				if _, optional := err.(optionalDown); optional {
					state = degradedPrefix + state
				}
			}
			out <- result{name, state}
		}()
	}
	sort.Strings(names)
	results := make(map[string]string, len(checks))
	for range names {
		r := <-out
		results[r.name] = r.state
	}
	return results
}
