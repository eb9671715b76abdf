package devstack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// FreePort returns a TCP port that is free on 127.0.0.1 right now. Nothing
// reserves it, so bind it soon; but the port is left in TIME_WAIT, and while it
// stays there (60 s on Linux) the kernel does not offer it to anyone else who
// asks for a free port, in this process or another (the Temporal dev server
// picks its internal ports the same way). The trick is borrowed from the
// Temporal CLI's devserver.GetFreePort.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer client.Close()
	server, err := l.Accept()
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	// Closing the server side first is what puts the port in TIME_WAIT.
	server.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// CheckPortFree reports, as one line a user can act on, that port is taken on
// 127.0.0.1. name is what the port is for (e.g. "PostgreSQL"), envVar the
// variable that moves it (e.g. "POSTGRES_PORT").
func CheckPortFree(name string, port int, envVar string) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d for %s is busy: stop what listens there or set %s", port, name, envVar)
	}
	return l.Close()
}

// freeLowPort returns a port below 32768, free on 127.0.0.1 right now, for a
// port that must fit a PostgreSQL smallint: the Temporal server records its
// membership ports in its cluster_membership table as one. FreePort's come
// from the kernel's ephemeral range, above it.
func freeLowPort() (int, error) {
	const lowest, limit = 20000, 32768
	for range 100 {
		port := lowest + rand.IntN(limit-lowest)
		if l, err := net.Listen("tcp", loopback(port)); err == nil {
			return port, l.Close()
		}
	}
	return 0, fmt.Errorf("find a free port between %d and %d: the 100 tried were busy", lowest, limit)
}

// portOrFree returns port, or a free one when port is 0.
func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	return FreePort()
}

// loopback returns "127.0.0.1:port".
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
