package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
)

func TestReadinessFailsOnlyOnRequiredChecks(t *testing.T) {
	down := Check{Probe: func(context.Context) error { return errors.New("connection refused") }}
	up := Check{Probe: func(context.Context) error { return nil }}
	optional := func(c Check) Check { c.Optional = true; return c }
	// A probe that ignores its context, as go-redis does on a hung server.
	hung := Check{Probe: func(context.Context) error { time.Sleep(time.Hour); return nil }}
	for _, tc := range []struct {
		name   string
		checks map[string]Check
		want   int
		states map[string]string
	}{
		{"all up", map[string]Check{"postgres": up, "redis": optional(up)}, http.StatusOK,
			map[string]string{"postgres": "ok", "redis": "ok"}},
		{"optional down", map[string]Check{"postgres": up, "redis": optional(down)}, http.StatusOK,
			map[string]string{"postgres": "ok", "redis": "degraded: connection refused"}},
		{"required down", map[string]Check{"postgres": down, "redis": optional(up)}, http.StatusServiceUnavailable,
			map[string]string{"postgres": "connection refused", "redis": "ok"}},
		{"optional hung", map[string]Check{"postgres": up, "redis": optional(hung)}, http.StatusOK,
			map[string]string{"postgres": "ok", "redis": "degraded: no answer: context deadline exceeded"}},
		{"required hung", map[string]Check{"postgres": hung}, http.StatusServiceUnavailable,
			map[string]string{"postgres": "no answer: context deadline exceeded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mux.NewRouter()
			MountOps(r, tc.checks)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.want {
				t.Fatalf("readyz = %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			var body struct{ Checks map[string]string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			for name, state := range tc.states {
				if body.Checks[name] != state {
					t.Errorf("%s = %q, want %q", name, body.Checks[name], state)
				}
			}
			// Liveness looks at nothing outside the process.
			rec = httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("healthz = %d with %s", rec.Code, tc.name)
			}
		})
	}
}

func TestMetricsCarryTheBuild(t *testing.T) {
	r := mux.NewRouter()
	MountOps(r, nil)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `orderflow_build_info{commit="`) {
		t.Fatalf("no orderflow_build_info in /metrics:\n%s", rec.Body)
	}
}
