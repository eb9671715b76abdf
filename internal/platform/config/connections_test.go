package config

import (
	"strings"
	"testing"
)

// A connection configured by halves fails at start, naming the variables,
// never quoting a password.
func TestHalfConfiguredConnectionsAreRejected(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"temporal cert without key":   {map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": "/c.pem"}, []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH"}},
		"temporal key without cert":   {map[string]string{"TEMPORAL_TLS_CLIENT_KEY_DATA": "-----BEGIN"}, []string{"TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) is set without TEMPORAL_TLS_CLIENT_CERT_PATH"}},
		"temporal path and data":      {map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/ca.pem", "TEMPORAL_TLS_SERVER_CA_CERT_DATA": "-----BEGIN"}, []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_CA_CERT_DATA"}},
		"temporal tls word":           {map[string]string{"TEMPORAL_TLS": "yes"}, []string{`TEMPORAL_TLS="yes"`}},
		"temporal host verification":  {map[string]string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "on"}, []string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"}},
		"temporal tls off with files": {map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_TLS_SERVER_NAME": "t.example.com"}, []string{"TEMPORAL_TLS=false", "TEMPORAL_TLS_SERVER_NAME"}},
		"sasl user without mechanism": {map[string]string{"KAFKA_SASL_USERNAME": "relay"}, []string{"KAFKA_SASL_MECHANISM"}},
		"sasl mechanism unknown":      {map[string]string{"KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, []string{`KAFKA_SASL_MECHANISM="GSSAPI"`}},
		"sasl without password":       {map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "relay"}, []string{"KAFKA_SASL_PASSWORD"}},
		"kafka cert without key":      {map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CLIENT_CERT_PATH": "/c.pem"}, []string{"KAFKA_TLS_CLIENT_CERT_PATH", "KAFKA_TLS_CLIENT_KEY_PATH"}},
		"kafka CA without TLS":        {map[string]string{"KAFKA_TLS_SERVER_CA_CERT_PATH": "/ca.pem"}, []string{"KAFKA_TLS_SERVER_CA_CERT_PATH", "KAFKA_TLS"}},
		"redis not a URL":             {map[string]string{"REDIS_URL": "cache:6379"}, []string{"REDIS_URL"}},
		"redis user without password": {map[string]string{"REDIS_URL": "rediss://relay@cache:6380"}, []string{"REDIS_URL", `"relay"`}},
		"redis CA without rediss":     {map[string]string{"REDIS_URL": "redis://cache:6379", "REDIS_TLS_SERVER_CA_CERT_PATH": "/ca.pem"}, []string{"REDIS_TLS_SERVER_CA_CERT_PATH", "rediss://"}},
		"redis cert without key":      {map[string]string{"REDIS_URL": "rediss://cache:6380", "REDIS_TLS_CLIENT_CERT_PATH": "/c.pem"}, []string{"REDIS_TLS_CLIENT_KEY_PATH"}},
	} {
		_, err := Load[Stack](lookup(tc.env))
		if err == nil {
			t.Errorf("%s: accepted %v", name, tc.env)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: the error does not say %q: %v", name, w, err)
			}
		}
	}
	_, err := Load[Stack](lookup(map[string]string{"REDIS_URL": "redis//:hunter2@cache:6379"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a malformed REDIS_URL: %v", err)
	}
}

func TestWholeConnectionsAreAccepted(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"temporal cloud api key": {"TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_NAMESPACE": "ns.acct", "TEMPORAL_API_KEY": "k"},
		"temporal mtls":          {"TEMPORAL_TLS_CLIENT_CERT_PATH": "/c.pem", "TEMPORAL_TLS_CLIENT_KEY_PATH": "/k.pem", "TEMPORAL_TLS": "TRUE"},
		"temporal profile":       {"TEMPORAL_CONFIG_FILE": "/etc/temporal.toml", "TEMPORAL_PROFILE": "prod"},
		"kafka scram over tls": {"KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
			"KAFKA_TLS": "true", "KAFKA_TLS_SERVER_CA_CERT_PATH": "/ca.pem"},
		"redis acl user over tls": {"REDIS_URL": "rediss://orderflow:pw@cache:6380/1", "REDIS_TLS_SERVER_CA_CERT_PATH": "/ca.pem"},
		"redis requirepass":       {"REDIS_URL": "redis://:pw@cache:6379"},
	} {
		if _, err := Load[Stack](lookup(env)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
