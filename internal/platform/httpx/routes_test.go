package httpx

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
)

// A path with dot segments, empty segments or an encoded slash names no
// resource: a 404 problem, never mux's bare redirect to the cleaned path and
// never the handler of the path it decodes or cleans to.
func TestInstallRoutingRefusesUncleanPaths(t *testing.T) {
	r := mux.NewRouter()
	a := r.PathPrefix("/api").Subrouter()
	reached := ""
	for _, path := range []string{"/stats", "/orders", "/orders/{id}", "/orders/{id}/events"} {
		a.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
			reached = req.URL.Path
			w.WriteHeader(http.StatusNoContent)
		}).Methods(http.MethodGet)
	}
	InstallRouting(r)

	for _, path := range []string{
		"/api/orders/%2e%2e/stats", "/api/orders/../stats", "/api/orders/%2E%2E/stats",
		"/api/orders/./x", "/api/./stats", "/api/orders/..", "/api/orders/.",
		"/api//orders", "//api/orders", "/api/orders//events",
		"/api/orders/a%2Fb", "/api/orders/x%2fevents", "/api/orders/x%2F..%2Fevents",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			reached = ""
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			var p Problem
			if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" ||
				json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d %v %s", method, path, rec.Code, rec.Header(), rec.Body)
			}
			if reached != "" || rec.Header().Get("Location") != "" || rec.Header().Get("Allow") != "" {
				t.Errorf("%s %s: reached %q, Location %q, Allow %q", method, path, reached, rec.Header().Get("Location"), rec.Header().Get("Allow"))
			}
		}
	}
	for _, path := range []string{"/api/stats", "/api/orders/x", "/api/orders/x/events", "/api/orders/a%20b", "/api/orders/x.y..z"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNoContent {
			t.Errorf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}
