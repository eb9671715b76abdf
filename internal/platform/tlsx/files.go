// Package tlsx is TLS for the roles' connections to Temporal, Kafka and
// Redis: client configurations from the PEM files the settings name, and
// the check at start that turns a TLS failure into one line naming the
// setting to fix, where the clients themselves would retry it for ever.
package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Setting is a variable and its value; an empty value is no file.
type Setting struct{ Name, Value string }

// Files are the PEM files of a client's TLS configuration: the CA that
// signs the server's certificate (none: the system's roots) and the client
// certificate with its key (none: no client certificate).
type Files struct{ CA, Cert, Key Setting }

// ClientConfig reads files into a TLS configuration; each error names the
// setting whose file is wrong.
func ClientConfig(f Files) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA.Value != "" {
		pem, err := os.ReadFile(f.CA.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.CA.Name, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s=%s holds no PEM certificate", f.CA.Name, f.CA.Value)
		}
	}
	if f.Cert.Value != "" || f.Key.Value != "" {
		// The configuration checks that both or neither are set; the error
		// of a mismatched key names neither file's contents.
		cert, err := tls.LoadX509KeyPair(f.Cert.Value, f.Key.Value)
		if err != nil {
			return nil, fmt.Errorf("%s and %s: %w", f.Cert.Name, f.Key.Name, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Names are the Names of a connection configured by f: server is the
// address (and its setting), tlsOn what turns TLS on, serverName what sets
// the name verified.
func (f Files) Names(server, tlsOn, serverName string) Names {
	ca := "the system's roots (" + f.CA.Name + " is unset)"
	if f.CA.Value != "" {
		ca = f.CA.Name + "=" + f.CA.Value
	}
	cert := f.Cert.Name + " and " + f.Key.Name
	if f.Cert.Value != "" {
		cert = f.Cert.Name + "=" + f.Cert.Value
	}
	return Names{Server: server, TLS: tlsOn, CA: ca, ServerName: serverName, ClientCert: cert, HasClientCert: f.Cert.Value != ""}
}
