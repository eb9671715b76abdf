package httpx

import (
	"net/http"
	"strings"
)

// APISecurityHeaders sets the headers every JSON API response carries: no
// content sniffing, no Referer leaking IDs in URLs, a Content-Security-Policy
// that lets nothing load or run should a response ever be rendered as a page,
// no framing, and (under /api/) no caching of what are per-request, often
// personal, answers. A handler may still set its own Cache-Control (the
// OpenAPI document is public and cacheable).
func APISecurityHeaders(next http.Handler) http.Handler {
	return SecurityHeaders("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if IsAPIPath(r.URL.Path) {
				w.Header().Set("Cache-Control", "no-store")
			}
			next.ServeHTTP(w, r)
		}))
}

// SecurityHeaders sets, on every response of next, its
// Content-Security-Policy csp, no framing, no Referer and no content
// sniffing.
func SecurityHeaders(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// IsAPIPath reports whether path is under /api, the public REST API (not the
// probes, the metrics or the providers' webhooks).
func IsAPIPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/")
}
