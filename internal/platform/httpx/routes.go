package httpx

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// routeKey holds, in a request's context, where the matched route's
// template is written for Observe.
type routeKey struct{}

// InstallRouting gives r problem+json answers for unknown paths (404) and
// wrong methods (405 with Allow), refuses paths and query strings that are
// not text (400) and paths that are not clean (404, see cleanPath), and
// records the matched route template for Observe's metrics and logs.
func InstallRouting(r *mux.Router) {
	// mux would answer an unclean path with a bare 301 to its cleaned form,
	// which is no resource of an API's: such paths are refused instead.
	r.SkipClean(true)
	r.Use(recordRoute, rejectMalformed)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !cleanPath(req.URL) {
			notFound(w, req)
			return
		}
		// gorilla/mux reports a wrong method as "not found" when the path is
		// served by a subrouter (mux issues 739, 751): find the methods the
		// path does accept before calling it unknown.
		if allowed := allowedMethods(r, req); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			WriteProblem(w, req, NewProblem(http.StatusMethodNotAllowed,
				req.Method+" is not allowed on "+req.URL.Path+"; use "+strings.Join(allowed, " or ")))
			return
		}
		notFound(w, req)
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
}

func notFound(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, r, NewProblem(http.StatusNotFound, "no such resource: "+r.URL.EscapedPath()))
}

// cleanPath reports whether u's path has no ".", ".." or empty segment (but
// for a trailing slash) and no encoded slash. A client or proxy in front
// would resolve the segments otherwise than mux routes them, and mux
// matches the decoded path, so /api/orders/x%2Fevents would reach the
// events of order x.
func cleanPath(u *url.URL) bool {
	if !strings.HasPrefix(u.Path, "/") || strings.Count(u.Path, "/") != strings.Count(u.EscapedPath(), "/") {
		return false
	}
	segments := strings.Split(u.Path[1:], "/")
	for i, s := range segments {
		if s == "." || s == ".." || s == "" && i < len(segments)-1 {
			return false
		}
	}
	return true
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
		if route := mux.CurrentRoute(r); route != nil {
			if tpl, err := route.GetPathTemplate(); err == nil {
				if dst, ok := r.Context().Value(routeKey{}).(*string); ok {
					*dst = tpl
				}
				// The server span (Trace) is named once the route is known.
				span := trace.SpanFromContext(r.Context())
				span.SetName(r.Method + " " + tpl)
				span.SetAttributes(semconv.HTTPRoute(tpl))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func withRouteSlot(ctx context.Context) (context.Context, *string) {
	route := "unmatched"
	return context.WithValue(ctx, routeKey{}, &route), &route
}

// rejectMalformed answers 400 to a path or query value that is not valid
// UTF-8 or holds a NUL byte (%00, %ff): no handler has a use for them, and
// PostgreSQL refuses them as text, which would otherwise surface as a 500.
// A path that is not clean is answered 404, as where no route matches.
func rejectMalformed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsText(r.URL.Path) {
			WriteProblem(w, r, NewProblem(http.StatusBadRequest, "the path is not valid text"))
			return
		}
		if !cleanPath(r.URL) {
			notFound(w, r)
			return
		}
		for name, values := range r.URL.Query() {
			for _, v := range values {
				if !IsText(name) || !IsText(v) {
					WriteProblem(w, r, NewProblem(http.StatusBadRequest, "query parameter "+strconv.Quote(name)+" is not valid text"))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// IsText reports whether s is valid UTF-8 without NUL bytes, which is what
// PostgreSQL accepts as text.
func IsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
