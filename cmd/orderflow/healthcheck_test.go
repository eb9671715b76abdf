package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	if err := healthcheck([]string{srv.URL + "/readyz"}); err != nil {
		t.Fatalf("a ready role: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := healthcheck([]string{srv.URL + "/readyz"}); err == nil {
		t.Fatal("an unready role passed")
	}
	if err := healthcheck(nil); err == nil {
		t.Fatal("no URL passed")
	}
	srv.Close()
	if err := healthcheck([]string{srv.URL + "/readyz"}); err == nil {
		t.Fatal("a role that does not answer passed")
	}
}
