package config

import (
	"errors"
	"fmt"
	"strings"
)

// Temporal is the Temporal frontend the api and the workers connect to. Its
// variables are those of the SDK's environment configuration
// (go.temporal.io/sdk/contrib/envconfig), the ones the temporal CLI reads,
// and internal/app hands them to it as they are: a TOML profile
// (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) gives the values, and each
// variable set overrides its profile's. So no field has a default here: an
// unset address or namespace is the profile's, else the SDK's
// (localhost:7233, "default"). An API key turns TLS on unless TEMPORAL_TLS
// is false; any TEMPORAL_TLS_* setting turns it on too.
type Temporal struct {
	TemporalAddress   string `env:"TEMPORAL_ADDRESS"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE"`
	// TemporalAPIKey is a Temporal Cloud API key, sent as a bearer token.
	TemporalAPIKey string `env:"TEMPORAL_API_KEY"`
	// TemporalTLS is "true" or "false" (or 1, 0); unset lets the other
	// settings decide, as the SDK does, so it is text and not a bool.
	TemporalTLS string `env:"TEMPORAL_TLS"`
	// The CA that signs the server's certificate (unset: the system's
	// roots), the client certificate and key for mTLS, each as a file or as
	// PEM text, never both.
	TemporalTLSServerCACertPath string `env:"TEMPORAL_TLS_SERVER_CA_CERT_PATH"`
	TemporalTLSServerCACertData string `env:"TEMPORAL_TLS_SERVER_CA_CERT_DATA"`
	TemporalTLSClientCertPath   string `env:"TEMPORAL_TLS_CLIENT_CERT_PATH"`
	TemporalTLSClientCertData   string `env:"TEMPORAL_TLS_CLIENT_CERT_DATA"`
	TemporalTLSClientKeyPath    string `env:"TEMPORAL_TLS_CLIENT_KEY_PATH"`
	TemporalTLSClientKeyData    string `env:"TEMPORAL_TLS_CLIENT_KEY_DATA"`
	// TemporalTLSServerName is the name the server's certificate must hold
	// when it is not the host of the address.
	TemporalTLSServerName string `env:"TEMPORAL_TLS_SERVER_NAME"`
	// TemporalTLSDisableHostVerification ("true") accepts a certificate
	// for any name: for tests, never for production.
	TemporalTLSDisableHostVerification string `env:"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"`
	// TemporalConfigFile is the TOML file of profiles (unset: the CLI's,
	// $XDG_CONFIG_HOME/temporalio/temporal.toml); TemporalProfile the one
	// to use (unset: "default", if the file has it).
	TemporalConfigFile string `env:"TEMPORAL_CONFIG_FILE"`
	TemporalProfile    string `env:"TEMPORAL_PROFILE"`
}

// Validate refuses what the SDK would ignore without a word (a boolean it
// cannot read, TLS settings with TLS off) and the halves of a pair.
func (c Temporal) Validate() error {
	var errs []error
	for _, b := range []setting{{"TEMPORAL_TLS", c.TemporalTLS}, {"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", c.TemporalTLSDisableHostVerification}} {
		if _, ok := sdkBool(b.value); b.value != "" && !ok {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", b.name, b.value))
		}
	}
	pem := []struct{ name, path, data string }{
		{"TEMPORAL_TLS_SERVER_CA_CERT", c.TemporalTLSServerCACertPath, c.TemporalTLSServerCACertData},
		{"TEMPORAL_TLS_CLIENT_CERT", c.TemporalTLSClientCertPath, c.TemporalTLSClientCertData},
		{"TEMPORAL_TLS_CLIENT_KEY", c.TemporalTLSClientKeyPath, c.TemporalTLSClientKeyData},
	}
	for _, p := range pem {
		if p.path != "" && p.data != "" {
			errs = append(errs, fmt.Errorf("%s_PATH and %s_DATA are both set: set one", p.name, p.name))
		}
	}
	cert := c.TemporalTLSClientCertPath != "" || c.TemporalTLSClientCertData != ""
	key := c.TemporalTLSClientKeyPath != "" || c.TemporalTLSClientKeyData != ""
	if cert != key {
		have, missing := "TEMPORAL_TLS_CLIENT_CERT", "TEMPORAL_TLS_CLIENT_KEY"
		if key {
			have, missing = missing, have
		}
		errs = append(errs, fmt.Errorf("%s_PATH (or _DATA) is set without %s_PATH (or _DATA): mTLS needs the certificate and its key", have, missing))
	}
	if on, _ := sdkBool(c.TemporalTLS); c.TemporalTLS != "" && !on {
		for _, s := range c.tlsSettings() {
			errs = append(errs, fmt.Errorf("TEMPORAL_TLS=%s turns TLS off, but %s is set", c.TemporalTLS, s))
		}
	}
	return errors.Join(errs...)
}

// tlsSettings names the TEMPORAL_TLS_* settings that are set.
func (c Temporal) tlsSettings() []string {
	var set []string
	for _, s := range []setting{
		{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", c.TemporalTLSServerCACertPath}, {"TEMPORAL_TLS_SERVER_CA_CERT_DATA", c.TemporalTLSServerCACertData},
		{"TEMPORAL_TLS_CLIENT_CERT_PATH", c.TemporalTLSClientCertPath}, {"TEMPORAL_TLS_CLIENT_CERT_DATA", c.TemporalTLSClientCertData},
		{"TEMPORAL_TLS_CLIENT_KEY_PATH", c.TemporalTLSClientKeyPath}, {"TEMPORAL_TLS_CLIENT_KEY_DATA", c.TemporalTLSClientKeyData},
		{"TEMPORAL_TLS_SERVER_NAME", c.TemporalTLSServerName}, {"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", c.TemporalTLSDisableHostVerification},
	} {
		if s.value != "" {
			set = append(set, s.name)
		}
	}
	return set
}

// sdkBool reads a boolean as envconfig does: 1, 0, true or false, in any
// case.
func sdkBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// setting is a variable and its value, for checks that go through several.
type setting struct{ name, value string }
