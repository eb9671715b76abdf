package safehttp

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
)

// CheckURL reports, with a *RefusedError, whether the Policy refuses raw:
// what an API asks when a URL is stored, to answer 4xx before any delivery.
// It refuses a URL that is not http or https, or has no host; an IP
// address the Policy does not allow; and a name that resolves, now, to any
// address it does not allow.
//
// A name that does not resolve is accepted: it may be set up later, and
// what it resolves to when a request is made is checked then, at connect
// time, which is the check that counts (dial.go). CheckURL is the early,
// friendly answer, not the guard.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return p.refuse(strconv.Quote(raw), "is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return p.refuse(u.Redacted(), "is not an http or https URL")
	}
	host := u.Hostname()
	if host == "" {
		return p.refuse(u.Redacted(), "has no host")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.checkAddr("", addr, net.JoinHostPort(addr.String(), port))
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, addr := range addrs {
		if err := p.checkAddr(host, addr, net.JoinHostPort(addr.String(), port)); err != nil {
			return err
		}
	}
	return nil
}
