package frontend

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

// The probes and metrics are on the ops port (OPS_ADDR): the dashboard's
// public port, which the Ingress exposes, serves none of them.
func TestPublicPortServesNoOpsEndpoints(t *testing.T) {
	h, err := New("http://127.0.0.1:1", slog.New(slog.DiscardHandler), noop.NewTracerProvider())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s on the public port: %d, want 404", path, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("the dashboard: %d", rec.Code)
	}
}
