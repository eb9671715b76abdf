package httpx

import (
	"context"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routeKey holds, in a request's context, where the matched route's
// template is written for Observe.
type routeKey struct{}

// InstallRouting gives r problem+json answers for unknown paths (404) and
// wrong methods (405 with Allow), and records the matched route template for
// Observe's metrics and logs.
func InstallRouting(r *mux.Router) {
	r.Use(recordRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// gorilla/mux reports a wrong method as "not found" when the path is
		// served by a subrouter (mux issues 739, 751): find the methods the
		// path does accept before calling it unknown.
		if allowed := allowedMethods(r, req); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			WriteProblem(w, req, NewProblem(http.StatusMethodNotAllowed,
				req.Method+" is not allowed on "+req.URL.Path+"; use "+strings.Join(allowed, " or ")))
			return
		}
		WriteProblem(w, req, NewProblem(http.StatusNotFound, "no such resource: "+req.URL.Path))
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
}

var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func allowedMethods(r *mux.Router, req *http.Request) []string {
	var allowed []string
	for _, m := range probeMethods {
		if m == req.Method {
			continue
		}
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// recordRoute writes the matched route's template where Observe looks: mux
// passes the match on a copy of the request that the outer middleware never
// sees.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dst, ok := r.Context().Value(routeKey{}).(*string); ok {
			if route := mux.CurrentRoute(r); route != nil {
				if tpl, err := route.GetPathTemplate(); err == nil {
					*dst = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func withRouteSlot(ctx context.Context) (context.Context, *string) {
	route := "unmatched"
	return context.WithValue(ctx, routeKey{}, &route), &route
}
