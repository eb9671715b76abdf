package safehttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// Every test server is on 127.0.0.1: the tests aim at loopback only.

// receiver is an httptest server on loopback that counts its requests.
func receiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

var hookPolicy = Policy{Subject: "webhook target", Setting: "WEBHOOK_ALLOWED_NETWORKS"}

// get makes a request and returns the RefusedError it failed with, if any.
func get(t *testing.T, c *http.Client, url string) (*http.Response, *RefusedError, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		var refused *RefusedError
		errors.As(err, &refused)
		return nil, refused, err
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, nil, nil
}

func TestLoopbackIsRefusedByDefault(t *testing.T) {
	srv, calls := receiver(t, ok)
	_, refused, err := get(t, NewClient(Options{Policy: hookPolicy}), srv.URL+"/hook")
	if refused == nil {
		t.Fatalf("want a *RefusedError, got %v", err)
	}
	want := "webhook target " + strings.TrimPrefix(srv.URL, "http://") + " is a loopback address; allow it with WEBHOOK_ALLOWED_NETWORKS"
	if refused.Error() != want || refused.Range != Loopback {
		t.Errorf("got %q (%q)\nwant %q", refused, refused.Range, want)
	}
	if calls.Load() != 0 {
		t.Error("the request reached the server")
	}
}

func TestAllowListLetsItsNetworksThrough(t *testing.T) {
	srv, calls := receiver(t, ok)
	for _, allowed := range [][]netip.Prefix{LoopbackNetworks(), {netip.MustParsePrefix("127.0.0.1/32")}} {
		resp, _, err := get(t, NewClient(Options{Policy: Policy{Allowed: allowed}}), srv.URL)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("allowed %v: %v", allowed, err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests arrived, want 2", calls.Load())
	}
	// Another network allowed is not loopback allowed.
	_, refused, err := get(t, NewClient(Options{Policy: Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}), srv.URL)
	if refused == nil {
		t.Fatalf("want a refusal, got %v", err)
	}
}

// A name is checked on what it resolved to, at connect time: "localhost"
// is not an IP literal anyone could spot in the URL.
func TestNameResolvingToLoopbackIsRefusedAtDial(t *testing.T) {
	srv, calls := receiver(t, ok)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, refused, err := get(t, NewClient(Options{Policy: hookPolicy}), url)
	if refused == nil {
		t.Fatalf("want a *RefusedError, got %v", err)
	}
	if !strings.HasPrefix(refused.Error(), "webhook target localhost (") || refused.Range != Loopback {
		t.Errorf("the error should name the host and the address it resolved to: %q", refused)
	}
	if calls.Load() != 0 {
		t.Error("the request reached the server")
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target, targetCalls := receiver(t, ok)
	for _, location := range []string{target.URL + "/inside", "http://169.254.169.254/latest/meta-data/"} {
		redirector, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, location, http.StatusFound)
		})
		// The redirector is allowed (loopback), and so is the first target:
		// a redirect is still not followed.
		resp, _, err := get(t, NewClient(Options{Policy: Policy{Allowed: LoopbackNetworks()}}), redirector.URL)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != location {
			t.Errorf("got %d to %q, want the 302 itself", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if targetCalls.Load() != 0 {
		t.Error("a redirect was followed")
	}
}

func TestOnlyHTTPAndHTTPS(t *testing.T) {
	c := NewClient(Options{Policy: hookPolicy})
	req, _ := http.NewRequest(http.MethodGet, "ftp://example.com/file", nil)
	_, err := c.Do(req)
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Error(), "is not an http or https URL") {
		t.Errorf("ftp: %v", err)
	}
}

// Wrap sees every request; what it wraps still checks the dial.
func TestWrapDoesNotBypassTheCheck(t *testing.T) {
	srv, calls := receiver(t, ok)
	var wrapped atomic.Int32
	c := NewClient(Options{Policy: hookPolicy, Wrap: func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) { wrapped.Add(1); return next.RoundTrip(r) })
	}})
	if _, refused, err := get(t, c, srv.URL); refused == nil {
		t.Fatalf("want a refusal, got %v", err)
	}
	if wrapped.Load() != 1 || calls.Load() != 0 {
		t.Errorf("wrapped %d, reached %d", wrapped.Load(), calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTimeouts(t *testing.T) {
	c := NewClient(Options{})
	tr := NewTransport(Policy{})
	if c.Timeout != DefaultTimeout || tr.TLSHandshakeTimeout != TLSHandshakeTimeout ||
		tr.ResponseHeaderTimeout != ResponseHeaderTimeout || tr.Proxy != nil {
		t.Errorf("client timeout %s, transport %+v", c.Timeout, tr)
	}
}
