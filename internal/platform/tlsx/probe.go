package tlsx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// ProbeTimeout bounds Probe: a server that takes longer is left to the
// client, which connects lazily.
const ProbeTimeout = 5 * time.Second

// verdictWait is how long Probe waits after the handshake for a refusal: a
// TLS 1.3 server checks the client's certificate only once the client has
// finished its handshake, and answers a round trip later.
const verdictWait = time.Second

// Probe checks that the TLS server at addr accepts cfg, as its client
// would connect: the address's host is the name verified unless cfg sets
// one. After the handshake it writes nothing and waits for the server's
// verdict on a client certificate (TLS 1.3 gives it then): data written
// before it would arrive after a refusal and have the server reset the
// connection, losing the alert that says why. A server that sends nothing
// within verdictWait has accepted us. The clients themselves retry these
// failures for ever behind a failing readiness, and gRPC reports them as
// text, so a role probes once at start. What Explain makes of the outcome
// is returned: a server that cannot be reached is no error.
func Probe(ctx context.Context, addr string, cfg *tls.Config, n Names) error {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	defer raw.Close()
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	conn := tls.Client(raw, cfg)
	if err = conn.HandshakeContext(ctx); hungUp(err) {
		// What a server without TLS does with a TLS hello.
		return fmt.Errorf("%s hung up on the TLS handshake, as a server without TLS does; %s turns TLS on", n.Server, n.TLS)
	}
	if err == nil {
		_ = conn.SetReadDeadline(time.Now().Add(verdictWait))
		_, err = conn.Read(make([]byte, 1))
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			err = nil
		case hungUp(err):
			return fmt.Errorf("%s hung up right after the TLS handshake, as a server does that refuses the client certificate (%s)", n.Server, n.ClientCert)
		}
	}
	return Explain(err, n)
}

// hungUp reports whether err is the peer closing the connection: a reset
// when it left data of ours unread.
func hungUp(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) }
