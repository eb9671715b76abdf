package httpx

import (
	"net/http"
	"net/http/pprof"

	"github.com/gorilla/mux"
)

// MountPprof adds Go's profiles to r under /debug/pprof/ (go tool pprof
// http://<ops>/debug/pprof/profile?seconds=20): CPU, heap, goroutines,
// blocking and the execution trace. A CPU profile or trace must be
// shorter than the server's 30 s write timeout.
func MountPprof(r *mux.Router) {
	r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	r.HandleFunc("/debug/pprof/profile", pprof.Profile)
	r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// The index, and every named profile (heap, goroutine, ...) under it.
	r.PathPrefix("/debug/pprof/").HandlerFunc(pprof.Index).Methods(http.MethodGet)
}
