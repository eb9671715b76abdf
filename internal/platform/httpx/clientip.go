package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns a function that names the client a request comes from.
//
// By default that is the connection's peer (RemoteAddr). X-Forwarded-For is
// written by whoever sends the request, so a client could put any address
// there and get a fresh rate limit with every request: it is honoured only
// when the peer is one of trusted (the dashboard's proxy, an ingress
// controller, a load balancer). The header is then read from the right, each
// trusted proxy having appended the address it received from, and the first
// address that is not a trusted proxy is the client.
func ClientIP(trusted []netip.Prefix) func(*http.Request) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) netip.Addr {
		peer := remoteAddr(r.RemoteAddr)
		if !peer.IsValid() || !isTrusted(peer) {
			return peer
		}
		client := peer
		hops := r.Header.Values("X-Forwarded-For")
		for i := len(hops) - 1; i >= 0; i-- {
			parts := strings.Split(hops[i], ",")
			for j := len(parts) - 1; j >= 0; j-- {
				a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
				if err != nil {
					// Garbage from an untrusted hop: the last address a
					// trusted proxy vouched for is the client.
					return client
				}
				client = a.Unmap()
				if !isTrusted(client) {
					return client
				}
			}
		}
		return client
	}
}

func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
