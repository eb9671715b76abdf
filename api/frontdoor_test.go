package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func frontDoor(t *testing.T) http.Handler {
	t.Helper()
	s := &Server{Logger: slog.New(slog.DiscardHandler), CORSAllowedOrigins: []string{"http://127.0.0.1:3000", "http://localhost:3000"}}
	return s.Handler()
}

func TestCORSAllowsOnlyTheDashboardsOrigins(t *testing.T) {
	h := frontDoor(t)
	preflight := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodOptions, "/api/orders", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
		r.Header.Set("Access-Control-Request-Headers", "content-type, idempotency-key")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	rec := preflight("http://localhost:3000")
	if rec.Code/100 != 2 || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		rec.Header().Get("Access-Control-Allow-Credentials") != "true" || rec.Header().Get("Access-Control-Allow-Methods") != http.MethodPost {
		t.Fatalf("allowed origin's preflight: %d %v", rec.Code, rec.Header())
	}
	if rec := preflight("https://evil.example.com"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin's preflight allowed: %v", rec.Header())
	}

	get := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil)
		r.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	rec = get("http://127.0.0.1:3000")
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "http://127.0.0.1:3000" {
		t.Fatalf("allowed origin: %d %v", rec.Code, rec.Header())
	}
	if rec := get("http://127.0.0.1:3001"); rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("other origin allowed: %v", rec.Header())
	}
}

func TestAPIResponsesCarrySecurityHeaders(t *testing.T) {
	h := frontDoor(t)
	for path, cache := range map[string]string{
		"/api/no-such-thing": "no-store",
		"/api/openapi.json":  "public, max-age=300", // the handler's own
		TwilioWebhookPath:    "",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		hdr := rec.Header()
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") != "no-referrer" ||
			hdr.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" ||
			hdr.Get("Cache-Control") != cache {
			t.Errorf("%s: %d %v", path, rec.Code, hdr)
		}
	}
}

// A proxy may add its own X-Request-ID to the client's: the request still
// goes through, under the first.
func TestRepeatedRequestIDIsNotRefused(t *testing.T) {
	e := newEdge(t, &Server{})
	req := httptest.NewRequest(http.MethodGet, "/api/auth/jwks.json", nil)
	req.Header.Add("X-Request-ID", "client-1")
	req.Header.Add("X-Request-ID", "proxy-2")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("X-Request-ID") != "client-1" {
		t.Fatalf("got %d, request ID %q: %s", rec.Code, rec.Header().Get("X-Request-ID"), rec.Body)
	}
}

// The probes and metrics are on the ops port (OPS_ADDR), so nothing that
// reaches the API's public port through an Ingress can read them.
func TestPublicPortServesNoOpsEndpoints(t *testing.T) {
	h := frontDoor(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s on the public port: %d, want 404", path, rec.Code)
		}
	}
}
