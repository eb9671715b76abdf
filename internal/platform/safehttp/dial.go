package safehttp

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// dialContext dials through a net.Dialer whose Control hook checks every
// address before the socket connects to it.
//
// Control runs after the name was resolved, on the very IP address of the
// connect(2) about to be made, for each address the dialer tries (Happy
// Eyeballs tries several). Whatever the URL said and whatever DNS answered
// in between, no connection to a refused address is ever opened; a name
// with a public and a private address is reached on the public one only.
func (p Policy) dialContext(timeout time.Duration) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(address) // the name, for the error
		d := net.Dialer{
			Timeout:   timeout,
			KeepAlive: 30 * time.Second,
			Control: func(_, resolved string, _ syscall.RawConn) error {
				return p.checkDial(host, resolved)
			},
		}
		return d.DialContext(ctx, network, address)
	}
}

// checkDial checks the "ip:port" that Control is handed. One it cannot
// read is refused: the check fails closed.
func (p Policy) checkDial(host, resolved string) error {
	ap, err := netip.ParseAddrPort(resolved)
	if err != nil {
		return p.refuse(resolved, "is not an IP address and port to check")
	}
	return p.checkAddr(host, ap.Addr(), ap.String())
}
