package frontend

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/orderflow/orderflow/internal/platform/config"
)

// The probes and metrics are on the ops port (OPS_ADDR): the dashboard's
// public port, which the Ingress exposes, serves none of them.
func TestPublicPortServesNoOpsEndpoints(t *testing.T) {
	h, err := New(Options{APIURL: "http://127.0.0.1:1", Logger: slog.New(slog.DiscardHandler), Tracer: noop.NewTracerProvider()})
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

// The service worker is served as JavaScript, revalidated at every load,
// under a policy that lets the page register it; the page registers it.
func TestServiceWorker(t *testing.T) {
	h, err := New(Options{APIURL: "http://127.0.0.1:1", Logger: slog.New(slog.DiscardHandler), Tracer: noop.NewTracerProvider()})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec
	}

	sw := get("/sw.js")
	if ct := sw.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("/sw.js Content-Type %q, want text/javascript", ct)
	}
	if cc := sw.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("/sw.js Cache-Control %q, want no-cache", cc)
	}
	body := sw.Body.String()
	for _, want := range []string{`addEventListener("push"`, `addEventListener("notificationclick"`, "showNotification("} {
		if !strings.Contains(body, want) {
			t.Errorf("/sw.js has no %s", want)
		}
	}
	// Nothing but itself: no imports, no foreign fetches.
	for _, banned := range []string{"importScripts(", "import(", "\nimport "} {
		if strings.Contains(body, banned) {
			t.Errorf("/sw.js loads code: %s", banned)
		}
	}

	// worker-src falls back to script-src, then default-src: 'self' there,
	// and neither of the others set to something narrower.
	for _, path := range []string{"/", "/sw.js"} {
		csp := get(path).Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "worker-src") || strings.Contains(csp, "script-src") {
			t.Errorf("%s Content-Security-Policy %q: want default-src 'self' governing workers", path, csp)
		}
	}

	if app := get("/app.js").Body.String(); !strings.Contains(app, `"/sw.js"`) || !strings.Contains(app, "pushManager.subscribe(") {
		t.Error("app.js does not register /sw.js and subscribe")
	}
	index := get("/").Body.String()
	for _, want := range []string{`<script src="/app.js">`, `id="push-on"`, "Notify me in this browser", `id="push-off"`, `id="devices"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html has no %s", want)
		}
	}
	// Others' files keep their own types and caching.
	if cc := get("/app.js").Header().Get("Cache-Control"); cc == "no-cache" {
		t.Error("/app.js: no-cache meant for the worker only")
	}
}

// /config.json tells the page where an admin's links go, and whether the
// sandbox's test cards are offered: in development only.
func TestConfigNamesLinksAndTestCards(t *testing.T) {
	for _, production := range []bool{false, true} {
		h, err := New(Options{APIURL: "http://127.0.0.1:1", Production: production, Logger: slog.New(slog.DiscardHandler), Tracer: noop.NewTracerProvider(),
			Links: config.DashboardLinks{TemporalUIURL: "http://ui/namespaces/x"}})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/config.json", nil))
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got["temporal_ui_url"] != "http://ui/namespaces/x" || got["test_cards"] != !production {
			t.Errorf("production %v: %v", production, got)
		}
	}
}
