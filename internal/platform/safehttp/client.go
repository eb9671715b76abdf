package safehttp

import (
	"net/http"
	"time"
)

// The client's timeouts. The receivers are other people's servers: one that
// is slow to accept, to shake hands or to answer must not hold a worker's
// activity, and a retry later costs less than a long wait now.
const (
	DialTimeout           = 5 * time.Second
	TLSHandshakeTimeout   = 5 * time.Second
	ResponseHeaderTimeout = 10 * time.Second
	// DefaultTimeout bounds a whole request, body included, when Options
	// sets none.
	DefaultTimeout = 15 * time.Second
)

// Options configure NewClient.
type Options struct {
	Policy
	// Timeout bounds a whole request (http.Client.Timeout); DefaultTimeout
	// when 0.
	Timeout time.Duration
	// Wrap, when set, wraps the guarded transport: metrics and tracing
	// (httpx.InstrumentTransport). What it wraps dials only what the Policy
	// allows, whatever the wrapper does.
	Wrap func(http.RoundTripper) http.RoundTripper
}

// NewClient returns a client that reaches only the addresses the Policy
// allows, over http and https, and never follows a redirect.
//
// Redirects are returned as they are (http.ErrUseLastResponse): following
// one would be a second request to a URL nobody checked when it was stored,
// and the caller decides what a 3xx means. The dial check would still
// refuse a redirect to a private address, but not following is simpler and
// says more.
func NewClient(o Options) *http.Client {
	var rt http.RoundTripper = schemeGuard{policy: o.Policy, next: NewTransport(o.Policy)}
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// NewTransport is the transport of NewClient: its dialer checks each
// address (dial.go).
//
// It uses no proxy, HTTP_PROXY and HTTPS_PROXY included: through a proxy the
// dialer would check the proxy's address, and the proxy would connect to
// whatever the URL names, private or not.
func NewTransport(p Policy) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            p.dialContext(DialTimeout),
		ForceAttemptHTTP2:      true, // a custom DialContext turns HTTP/2 off unless asked
		TLSHandshakeTimeout:    TLSHandshakeTimeout,
		ResponseHeaderTimeout:  ResponseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// schemeGuard refuses every scheme but http and https with a RefusedError,
// before the transport sees the request.
type schemeGuard struct {
	policy Policy
	next   http.RoundTripper
}

func (g schemeGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
		if r.Body != nil {
			r.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, g.policy.refuse(r.URL.Redacted(), "is not an http or https URL")
	}
	return g.next.RoundTrip(r)
}
