package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/devtools/testpki"
	"github.com/orderflow/orderflow/internal/platform/config"
)

// temporalSettings loads the api's settings from env alone, as a role
// started in-process gets them (config.LookupOf), with no profile file
// unless env names one.
func temporalSettings(t *testing.T, env map[string]string) config.Temporal {
	t.Helper()
	if _, ok := env["TEMPORAL_CONFIG_FILE"]; !ok {
		env["TEMPORAL_CONFIG_FILE"] = os.DevNull
	}
	cfg, err := config.Load[config.API](func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Temporal
}

func options(t *testing.T, env map[string]string) client.Options {
	t.Helper()
	opts, err := temporalSettings(t, env).ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

func TestTemporalOptionsFromSettings(t *testing.T) {
	// The process environment is not where a role's settings come from.
	t.Setenv("TEMPORAL_ADDRESS", "from-the-process:1")
	t.Setenv("TEMPORAL_API_KEY", "from-the-process")

	if o := options(t, map[string]string{}); o.HostPort != "" || o.Namespace != "" || o.Credentials != nil || o.ConnectionOptions.TLS != nil {
		t.Errorf("no settings: %+v, want the SDK's defaults in plain text", o)
	}

	cloud := options(t, map[string]string{"TEMPORAL_ADDRESS": "eu-west-1.aws.api.temporal.io:7233", "TEMPORAL_NAMESPACE": "orders.a1b2c", "TEMPORAL_API_KEY": "key"})
	if cloud.HostPort != "eu-west-1.aws.api.temporal.io:7233" || cloud.Namespace != "orders.a1b2c" || cloud.Credentials == nil || cloud.ConnectionOptions.TLS == nil {
		t.Errorf("API key: %+v, want its credentials over TLS", cloud)
	}
	if o := options(t, map[string]string{"TEMPORAL_API_KEY": "key", "TEMPORAL_TLS": "false"}); o.ConnectionOptions.TLS != nil || !o.ConnectionOptions.TLSDisabled {
		t.Errorf("API key with TEMPORAL_TLS=false: TLS %v", o.ConnectionOptions.TLS)
	}

	ca := testpki.NewCA(t, "temporal-ca")
	pair := ca.Client(t, "worker")
	mtls := options(t, map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca.CertFile, "TEMPORAL_TLS_CLIENT_CERT_PATH": pair.CertFile,
		"TEMPORAL_TLS_CLIENT_KEY_PATH": pair.KeyFile, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal"})
	if tls := mtls.ConnectionOptions.TLS; tls == nil || tls.RootCAs == nil || len(tls.Certificates) != 1 || tls.ServerName != "temporal.internal" || mtls.Credentials != nil {
		t.Errorf("mTLS from files: %+v", tls)
	}
	read := func(path string) string { b, err := os.ReadFile(path); must(t, err); return string(b) }
	data := options(t, map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_DATA": read(ca.CertFile), "TEMPORAL_TLS_CLIENT_CERT_DATA": read(pair.CertFile),
		"TEMPORAL_TLS_CLIENT_KEY_DATA": read(pair.KeyFile), "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "true"})
	if tls := data.ConnectionOptions.TLS; tls == nil || tls.RootCAs == nil || len(tls.Certificates) != 1 || !tls.InsecureSkipVerify {
		t.Errorf("mTLS from PEM text: %+v", tls)
	}
}

// A profile gives what no variable sets, as for the temporal CLI.
func TestTemporalProfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.toml")
	must(t, os.WriteFile(file, []byte(`
[profile.default]
address = "127.0.0.1:7233"

[profile.cloud]
address = "orders.a1b2c.tmprl.cloud:7233"
namespace = "orders.a1b2c"
api_key = "profile-key"
`), 0o600))
	def := options(t, map[string]string{"TEMPORAL_CONFIG_FILE": file})
	if def.HostPort != "127.0.0.1:7233" || def.Credentials != nil {
		t.Errorf("default profile: %+v", def)
	}
	cloud := options(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "cloud", "TEMPORAL_NAMESPACE": "orders-staging.a1b2c"})
	if cloud.HostPort != "orders.a1b2c.tmprl.cloud:7233" || cloud.Namespace != "orders-staging.a1b2c" || cloud.Credentials == nil || cloud.ConnectionOptions.TLS == nil {
		t.Errorf("profile cloud, namespace overridden: %+v", cloud)
	}
	_, err := temporalSettings(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"}).ClientOptions()
	if err == nil || !strings.Contains(err.Error(), "prod") || !strings.Contains(err.Error(), "TEMPORAL_") {
		t.Errorf("an unknown profile: %v", err)
	}
}

// What the SDK cannot load fails the start, without the key's text.
func TestTemporalOptionsErrorsHoldNoSecret(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	pair := ca.Client(t, "c")
	const key = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"
	_, err := temporalSettings(t, map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": pair.CertFile, "TEMPORAL_TLS_CLIENT_KEY_DATA": key}).ClientOptions()
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("a broken key: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
