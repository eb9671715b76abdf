package config

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// ClientOptions are the client options of the settings, made by the SDK's
// environment configuration as the temporal CLI makes its own: the profile
// of TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE, overridden by each
// TEMPORAL_* setting that is set. The settings, not the process
// environment, are its environment: dev and the tests start roles
// in-process with settings of their own.
func (c Temporal) ClientOptions() (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: newTemporalEnv(c)})
	if err != nil {
		// envconfig's errors name files and profiles, never a key's text.
		return client.Options{}, fmt.Errorf("temporal client settings (TEMPORAL_* and the profile of TEMPORAL_CONFIG_FILE): %w", err)
	}
	return opts, nil
}

// temporalEnv is the TEMPORAL_* settings as envconfig's environment, empty
// ones unset as everywhere in orderflow: envconfig would take an empty
// TEMPORAL_NAMESPACE for the namespace "" and an empty
// TEMPORAL_TLS_SERVER_NAME as TLS turned on.
type temporalEnv map[string]string

func newTemporalEnv(c Temporal) temporalEnv {
	env := temporalEnv{}
	for _, kv := range Environ(c) {
		if name, value, _ := strings.Cut(kv, "="); value != "" {
			env[name] = value
		}
	}
	return env
}

func (e temporalEnv) LookupEnv(name string) (string, bool) { v, ok := e[name]; return v, ok }

// Environ is what envconfig searches for TEMPORAL_GRPC_META_* headers,
// which no role reads.
func (e temporalEnv) Environ() []string { return nil }
