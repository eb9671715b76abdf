package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// Names are the settings behind one TLS connection, in the words an
// operator reads: each says where its value comes from.
type Names struct {
	// Server is the address, such as "Temporal at host:port (TEMPORAL_ADDRESS)".
	Server string
	// TLS is what turned TLS on, CA what chose the CA that verifies the
	// server, ServerName what sets the name verified.
	TLS, CA, ServerName string
	// ClientCert is what sets the client certificate; HasClientCert tells
	// whether one is set.
	ClientCert    string
	HasClientCert bool
}

// Explain turns the error of a first connection into the error a role
// stops with, naming the setting to fix, or nil when err says nothing about
// TLS: nil itself, or a server that is down, refuses the connection or is
// not resolvable yet, which only makes the role unready until it answers.
func Explain(err error, n Names) error {
	var verify *tls.CertificateVerificationError
	var notTLS tls.RecordHeaderError
	var op *net.OpError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &verify):
		var unknown x509.UnknownAuthorityError
		var name x509.HostnameError
		switch {
		case errors.As(verify.Err, &unknown):
			return fmt.Errorf("%s: the server's certificate is not signed by the CA of %s: %v", n.Server, n.CA, verify.Err)
		case errors.As(verify.Err, &name):
			return fmt.Errorf("%s: the server's certificate is not valid for the name verified (set by %s): %v", n.Server, n.ServerName, verify.Err)
		}
		return fmt.Errorf("%s: the server's certificate does not verify: %v", n.Server, verify.Err)
	case errors.As(err, &notTLS):
		return fmt.Errorf("%s does not answer in TLS, which %s turns on", n.Server, n.TLS)
	case errors.As(err, &op) && op.Op == "remote error":
		// The server sent a TLS alert: with TLS 1.3 a server that wants a
		// client certificate says so after the handshake, in the first read.
		if !n.HasClientCert {
			return fmt.Errorf("%s refused the TLS connection (%v): a server that requires a client certificate needs %s", n.Server, op.Err, n.ClientCert)
		}
		return fmt.Errorf("%s refused the TLS connection with the client certificate of %s: %v", n.Server, n.ClientCert, op.Err)
	}
	return nil
}
