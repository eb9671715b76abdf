package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIPTrustsForwardedForOnlyFromTrustedProxies(t *testing.T) {
	clientIP := ClientIP([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")})
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy names the client", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left entries are ignored", "10.1.1.1:4000", []string{"1.2.3.4, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"several header lines", "10.1.1.1:4000", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"garbage stops at the last trusted hop", "10.1.1.1:4000", []string{"nonsense, 10.3.3.3"}, "10.3.3.3"},
		{"only proxies", "127.0.0.1:4000", []string{"10.3.3.3"}, "10.3.3.3"},
		{"trusted proxy without header", "127.0.0.1:4000", nil, "127.0.0.1"},
		{"ipv6 peer", "[2001:db8::1]:4000", []string{"198.51.100.1"}, "2001:db8::1"},
		{"mapped ipv4", "[::ffff:127.0.0.1]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/x", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r).String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.9:1"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := ClientIP(nil)(r).String(); got != "198.51.100.9" {
		t.Fatalf("no trusted proxies: got %s", got)
	}
}

func TestAPISecurityHeaders(t *testing.T) {
	for path, noStore := range map[string]bool{"/api/orders": true, "/api": true, "/healthz": false, "/apidocs": false} {
		rec := httptest.NewRecorder()
		APISecurityHeaders(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		hdr := rec.Header()
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") != "no-referrer" ||
			hdr.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: headers %v", path, hdr)
		}
		if (hdr.Get("Cache-Control") == "no-store") != noStore {
			t.Fatalf("%s: Cache-Control %q", path, hdr.Get("Cache-Control"))
		}
	}
}
