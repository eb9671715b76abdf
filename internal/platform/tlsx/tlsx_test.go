package tlsx

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/http2"

	"github.com/orderflow/orderflow/internal/devtools/testpki"
)

// grpcServer serves TLS with cfg on loopback and, once a handshake is
// done, answers as an HTTP/2 server does: its SETTINGS frame first.
func grpcServer(t *testing.T, cfg *tls.Config) string {
	return testpki.ServeTLS(t, cfg, func(conn *tls.Conn) {
		defer conn.Close()
		_ = http2.NewFramer(conn, conn).WriteSettings()
		_, _ = conn.Read(make([]byte, 1024))
	})
}

var names = Names{Server: "Temporal at x (TEMPORAL_ADDRESS)", TLS: "TEMPORAL_TLS=true", CA: "TEMPORAL_TLS_SERVER_CA_CERT_PATH=/ca.pem",
	ServerName: "TEMPORAL_TLS_SERVER_NAME", ClientCert: "TEMPORAL_TLS_CLIENT_CERT_PATH"}

func TestProbeNamesTheSettingToFix(t *testing.T) {
	ca, other := testpki.NewCA(t, "ca"), testpki.NewCA(t, "other")
	server, client := ca.Server(t), ca.Client(t, "orderflow")
	plain := grpcServer(t, &tls.Config{Certificates: []tls.Certificate{server.TLS}})
	mtls := grpcServer(t, &tls.Config{Certificates: []tls.Certificate{server.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()})
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	// A server without TLS that hangs up on a TLS hello, as gRPC does.
	hangUp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangUp.Close()
	go func() {
		for {
			conn, err := hangUp.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Read(make([]byte, 5))
			conn.Close()
		}
	}()

	trusting := func(ca *testpki.CA, certs ...tls.Certificate) *tls.Config {
		cfg, err := ClientConfig(Files{CA: Setting{"CA", ca.CertFile}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = certs
		return cfg
	}
	withName := trusting(ca)
	withName.ServerName = "temporal.example.com"
	withCert := names
	withCert.HasClientCert = true
	for name, tc := range map[string]struct {
		addr  string
		cfg   *tls.Config
		names Names
		want  string // "" for no error
	}{
		"trusted":                    {plain, trusting(ca), names, ""},
		"unreachable":                {closed, trusting(ca), names, ""},
		"wrong CA":                   {plain, trusting(other), names, "not signed by the CA of TEMPORAL_TLS_SERVER_CA_CERT_PATH=/ca.pem"},
		"wrong name":                 {plain, withName, names, "not valid for the name verified (set by TEMPORAL_TLS_SERVER_NAME)"},
		"mTLS without a certificate": {mtls, trusting(ca), names, "needs TEMPORAL_TLS_CLIENT_CERT_PATH"},
		"mTLS with a certificate":    {mtls, trusting(ca, client.TLS), withCert, ""},
		"mTLS with a foreign one":    {mtls, trusting(ca, other.Client(t, "stranger").TLS), withCert, "with the client certificate of TEMPORAL_TLS_CLIENT_CERT_PATH"},
		"no TLS there":               {hangUp.Addr().String(), trusting(ca), names, "hung up on the TLS handshake"},
	} {
		err := Probe(context.Background(), tc.addr, tc.cfg, tc.names)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: the error is not one line: %v", name, err)
		}
	}
}

func TestClientConfigNamesTheFile(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	pair, other := ca.Client(t, "a"), ca.Client(t, "b")
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		files Files
		want  string
	}{
		"missing CA":     {Files{CA: Setting{"KAFKA_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca.pem"}}, "KAFKA_TLS_SERVER_CA_CERT_PATH: open /nonexistent/ca.pem"},
		"CA not PEM":     {Files{CA: Setting{"KAFKA_TLS_SERVER_CA_CERT_PATH", notPEM}}, "holds no PEM certificate"},
		"key of another": {Files{Cert: Setting{"CERT", pair.CertFile}, Key: Setting{"KEY", other.KeyFile}}, "CERT and KEY: tls: private key does not match"},
	} {
		if _, err := ClientConfig(tc.files); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
	cfg, err := ClientConfig(Files{CA: Setting{"CA", ca.CertFile}, Cert: Setting{"CERT", pair.CertFile}, Key: Setting{"KEY", pair.KeyFile}})
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Fatalf("%+v, %v", cfg, err)
	}
}
