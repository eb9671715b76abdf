// Package connection runs the api and a worker against a Temporal dev
// server and a Redis behind TLS-terminating proxies, as a role reaches
// Temporal Cloud or a secured cluster: mTLS with and without a client
// certificate, an API key over TLS, a wrong CA, a server without TLS, a
// server not up yet, rediss:// with an ACL user.
package connection

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/devtools/testpki"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workflows"
)

// servers are the plain servers the proxies front, started once.
var servers struct {
	temporal, redis string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "orderflow-connection-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, logger := context.Background(), slog.New(slog.DiscardHandler)
	temporal, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		CLIPath: filepath.Join("..", "..", "bin", "temporal"), LogFile: filepath.Join(dir, "temporal.log"), Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start Temporal (run `make build` first for bin/temporal):", err)
		return 1
	}
	defer temporal.Stop(ctx)
	rds, err := devstack.StartRedis(ctx, devstack.RedisOptions{DataDir: filepath.Join(dir, "redis"), Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer rds.Stop(ctx)
	// An ACL user of its own, as a managed Redis gives each application.
	admin := redis.NewClient(&redis.Options{Addr: rds.Addr()})
	err = admin.Do(ctx, "ACL", "SETUSER", "orderflow", "on", ">orderflow-redis-pw", "~*", "&*", "+@all").Err()
	admin.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis ACL:", err)
		return 1
	}
	servers.temporal, servers.redis = temporal.Address(), rds.Addr()
	return m.Run()
}

// pki is a CA with the proxies' server certificate and a client
// certificate, and a CA that signed neither.
type pki struct {
	ca, other *testpki.CA
	server    tls.Certificate
	client    testpki.Pair
}

func newPKI(t *testing.T) pki {
	ca := testpki.NewCA(t, "orderflow-test-ca")
	return pki{ca: ca, other: testpki.NewCA(t, "another-ca"), server: ca.Server(t).TLS, client: ca.Client(t, "orderflow-api")}
}

// tlsProxy terminates TLS with cfg on a free loopback port and forwards
// each connection it accepts, in plain TCP, to backend: what a
// TLS-terminating load balancer in front of a cluster does. It stops with
// the test.
func tlsProxy(t *testing.T, backend string, cfg *tls.Config) string {
	return testpki.ServeTLS(t, cfg, func(conn *tls.Conn) {
		defer conn.Close()
		up, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer up.Close()
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
		go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
		<-done
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// role is a running role and what it returned, once it has.
type role struct {
	addr string // where it serves /readyz
	done chan error
}

// api and worker name the roles start runs.
const (
	api    = "api"
	worker = workflows.NotificationsTaskQueue
)

// start runs the api, or the worker of a queue, on settings handed over as
// `orderflow dev` and the integration tests hand them (config.From,
// LookupOf: Environ), not through the process environment. Its database
// is a closed port: the pool connects lazily, and only Temporal's and
// Redis's readiness count here.
func start(t *testing.T, name string, edit func(*config.Stack)) role {
	t.Helper()
	stack := config.Defaults[config.Stack]()
	stack.APIAddr, stack.OpsAddr = freeAddr(t), freeAddr(t)
	stack.DatabaseURL = "postgres://orderflow:orderflow@" + freeAddr(t) + "/orderflow?sslmode=disable"
	stack.Redis = config.Redis{RedisURL: "redis://" + servers.redis + "/0"}
	stack.Temporal = config.Temporal{TemporalAddress: servers.temporal, TemporalConfigFile: os.DevNull}
	stack.ShutdownTimeout = time.Second
	edit(&stack)
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.DiscardHandler)
	r := role{addr: stack.OpsAddr, done: make(chan error, 1)}
	if name == api {
		cfg, err := config.From[config.API](stack)
		if err != nil {
			t.Fatal(err)
		}
		go func() { r.done <- app.RunAPI(ctx, cfg, logger) }()
	} else {
		go func() { r.done <- app.RunWorker(ctx, name, config.LookupOf(stack), logger) }()
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("the %s did not stop", name)
		}
	})
	return r
}

// checks waits until the role answers /readyz and returns its checks once
// want says they are as expected, or the last ones after a while.
func (r role) checks(t *testing.T, want func(map[string]string) bool) map[string]string {
	t.Helper()
	var last map[string]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-r.done:
			t.Fatalf("the role stopped: %v", err)
		default:
		}
		resp, err := http.Get("http://" + r.addr + "/readyz")
		if err != nil {
			continue
		}
		var body struct{ Checks map[string]string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err == nil {
			if last = body.Checks; want(last) {
				return last
			}
		}
	}
	t.Fatalf("readiness checks %v", last)
	return nil
}

// fails waits for the role to stop at start and returns its error, which
// must be one line.
func (r role) fails(t *testing.T) string {
	t.Helper()
	select {
	case err := <-r.done:
		if err == nil {
			t.Fatal("the role stopped without an error")
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("the error is not one line: %q", err)
		}
		t.Logf("orderflow: %v", err)
		r.done <- err // for the cleanup
		return err.Error()
	case <-time.After(15 * time.Second):
		t.Fatal("the role did not fail at start")
		return ""
	}
}

func ok(name string) func(map[string]string) bool {
	return func(c map[string]string) bool { return c[name] == "ok" }
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	proxy := tlsProxy(t, servers.temporal, &tls.Config{Certificates: []tls.Certificate{p.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.ca.Pool()})

	withCert := func(s *config.Stack) {
		s.TemporalAddress, s.TemporalTLSServerCACertPath = proxy, p.ca.CertFile
		s.TemporalTLSClientCertPath, s.TemporalTLSClientKeyPath = p.client.CertFile, p.client.KeyFile
	}
	t.Run("with a client certificate", func(t *testing.T) {
		start(t, api, withCert).checks(t, ok("temporal")) // a health check through the proxy
		// A worker serves its probes once it polls: it has described the
		// namespace and asked for the server's capabilities through the proxy.
		start(t, worker, withCert).checks(t, ok("temporal"))
	})
	t.Run("without one", func(t *testing.T) {
		r := start(t, api, func(s *config.Stack) { s.TemporalAddress, s.TemporalTLSServerCACertPath = proxy, p.ca.CertFile })
		if err := r.fails(t); !strings.Contains(err, "TEMPORAL_TLS_CLIENT_CERT_PATH") || !strings.Contains(err, proxy) {
			t.Errorf("want the client certificate setting named: %s", err)
		}
	})
	t.Run("with a certificate the server does not trust", func(t *testing.T) {
		stranger := p.other.Client(t, "stranger")
		r := start(t, worker, func(s *config.Stack) {
			s.TemporalAddress, s.TemporalTLSServerCACertPath = proxy, p.ca.CertFile
			s.TemporalTLSClientCertPath, s.TemporalTLSClientKeyPath = stranger.CertFile, stranger.KeyFile
		})
		if err := r.fails(t); !strings.Contains(err, "TEMPORAL_TLS_CLIENT_CERT_PATH="+stranger.CertFile) {
			t.Errorf("want the client certificate named: %s", err)
		}
	})
}

func TestServerTLS(t *testing.T) {
	p := newPKI(t)
	proxy := tlsProxy(t, servers.temporal, &tls.Config{Certificates: []tls.Certificate{p.server}})

	t.Run("API key over TLS", func(t *testing.T) {
		r := start(t, api, func(s *config.Stack) {
			s.TemporalAddress, s.TemporalAPIKey, s.TemporalTLSServerCACertPath = proxy, "test-api-key", p.ca.CertFile
		})
		r.checks(t, ok("temporal"))
	})
	t.Run("a wrong CA", func(t *testing.T) {
		began := time.Now()
		r := start(t, api, func(s *config.Stack) { s.TemporalAddress, s.TemporalTLSServerCACertPath = proxy, p.other.CertFile })
		err := r.fails(t)
		if !strings.Contains(err, "TEMPORAL_TLS_SERVER_CA_CERT_PATH="+p.other.CertFile) {
			t.Errorf("want the CA setting named: %s", err)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Errorf("took %s to fail", d)
		}
	})
	t.Run("a server without TLS", func(t *testing.T) {
		r := start(t, api, func(s *config.Stack) { s.TemporalTLSServerCACertPath = p.ca.CertFile })
		if err := r.fails(t); !strings.Contains(err, "TEMPORAL_TLS") || !strings.Contains(err, servers.temporal) {
			t.Errorf("want TLS named: %s", err)
		}
	})
	t.Run("a server not up yet", func(t *testing.T) {
		// Lazy as ever: the role starts and is unready until it answers.
		r := start(t, api, func(s *config.Stack) { s.TemporalAddress, s.TemporalTLSServerCACertPath = freeAddr(t), p.ca.CertFile })
		r.checks(t, func(c map[string]string) bool { return c["temporal"] != "" && c["temporal"] != "ok" })
	})
}

func TestRedisOverTLSWithAnACLUser(t *testing.T) {
	p := newPKI(t)
	proxy := tlsProxy(t, servers.redis, &tls.Config{Certificates: []tls.Certificate{p.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.ca.Pool()})
	secured := func(s *config.Stack) {
		s.Redis = config.Redis{RedisURL: "rediss://orderflow:orderflow-redis-pw@" + proxy + "/0", RedisTLSServerCACertPath: p.ca.CertFile,
			RedisTLSClientCertPath: p.client.CertFile, RedisTLSClientKeyPath: p.client.KeyFile}
	}
	start(t, api, secured).checks(t, ok("redis"))

	r := start(t, api, func(s *config.Stack) { secured(s); s.RedisTLSServerCACertPath = p.other.CertFile })
	if err := r.fails(t); !strings.Contains(err, "REDIS_TLS_SERVER_CA_CERT_PATH="+p.other.CertFile) || strings.Contains(err, "orderflow-redis-pw") {
		t.Errorf("want the CA setting named, and no password: %s", err)
	}
	wrongPassword := start(t, api, func(s *config.Stack) { secured(s); s.RedisURL = "rediss://orderflow:wrong@" + proxy + "/0" })
	wrongPassword.checks(t, func(c map[string]string) bool { return strings.Contains(c["redis"], "WRONGPASS") })
}
