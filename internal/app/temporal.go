package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/tlsx"
)

// checkTemporalTLS fails, in one line naming the setting, when the server
// refuses the TLS of opts: a CA that does not sign its certificate, a name
// the certificate does not hold, a client certificate it requires and we
// lack or it rejects. The client connects lazily, retrying such failures
// for ever behind a failing readiness, so the role checks once at start; an
// unreachable server is still no error (a Temporal starting after us).
func checkTemporalTLS(ctx context.Context, cfg config.Temporal, opts client.Options) error {
	tlsCfg := opts.ConnectionOptions.TLS
	if tlsCfg == nil {
		return nil
	}
	addr := cmp.Or(opts.HostPort, client.DefaultHostPort)
	return tlsx.Probe(ctx, addr, tlsCfg, temporalTLSNames(cfg, tlsCfg, addr))
}

// temporalTLSNames says where each part of the TLS configuration came from:
// the first of its variables that is set (with its value, for a path or a
// name; never a key or PEM text), else the profile when that part is set,
// else the default.
func temporalTLSNames(cfg config.Temporal, tlsCfg *tls.Config, addr string) tlsx.Names {
	origin := func(fromProfile bool, def string, settings ...tlsx.Setting) string {
		for _, s := range settings {
			if s.Value != "" {
				return s.Name
			}
		}
		if fromProfile {
			return fmt.Sprintf("the profile %q of TEMPORAL_CONFIG_FILE", cmp.Or(cfg.TemporalProfile, envconfig.DefaultConfigFileProfile))
		}
		return def
	}
	withValue := func(name, value string) tlsx.Setting { return tlsx.Setting{Name: name + "=" + value, Value: value} }
	hasCert := len(tlsCfg.Certificates) > 0
	return tlsx.Names{
		Server: fmt.Sprintf("Temporal at %s (TEMPORAL_ADDRESS)", addr),
		TLS: origin(true, "", withValue("TEMPORAL_TLS", cfg.TemporalTLS),
			tlsx.Setting{Name: "TEMPORAL_API_KEY (an API key turns TLS on; TEMPORAL_TLS=false turns it off)", Value: cfg.TemporalAPIKey},
			tlsx.Setting{Name: "TEMPORAL_TLS_SERVER_CA_CERT_PATH", Value: cfg.TemporalTLSServerCACertPath},
			tlsx.Setting{Name: "TEMPORAL_TLS_SERVER_CA_CERT_DATA", Value: cfg.TemporalTLSServerCACertData},
			tlsx.Setting{Name: "TEMPORAL_TLS_CLIENT_CERT_PATH", Value: cfg.TemporalTLSClientCertPath},
			tlsx.Setting{Name: "TEMPORAL_TLS_CLIENT_CERT_DATA", Value: cfg.TemporalTLSClientCertData},
			tlsx.Setting{Name: "TEMPORAL_TLS_SERVER_NAME", Value: cfg.TemporalTLSServerName},
			tlsx.Setting{Name: "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", Value: cfg.TemporalTLSDisableHostVerification}),
		CA: origin(tlsCfg.RootCAs != nil, "the system's roots (TEMPORAL_TLS_SERVER_CA_CERT_PATH is unset)",
			withValue("TEMPORAL_TLS_SERVER_CA_CERT_PATH", cfg.TemporalTLSServerCACertPath),
			tlsx.Setting{Name: "TEMPORAL_TLS_SERVER_CA_CERT_DATA", Value: cfg.TemporalTLSServerCACertData}),
		ServerName: origin(tlsCfg.ServerName != "", "TEMPORAL_TLS_SERVER_NAME, unset: the host of TEMPORAL_ADDRESS",
			withValue("TEMPORAL_TLS_SERVER_NAME", cfg.TemporalTLSServerName)),
		ClientCert: origin(hasCert, "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA)",
			withValue("TEMPORAL_TLS_CLIENT_CERT_PATH", cfg.TemporalTLSClientCertPath),
			tlsx.Setting{Name: "TEMPORAL_TLS_CLIENT_CERT_DATA", Value: cfg.TemporalTLSClientCertData}),
		HasClientCert: hasCert,
	}
}
