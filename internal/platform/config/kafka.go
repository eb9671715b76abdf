package config

import (
	"errors"
	"fmt"
	"slices"
)

// Kafka is where the outbox relays publish, and how they sign in there.
type Kafka struct {
	KafkaBrokers List `env:"KAFKA_BROKERS" envDefault:"127.0.0.1:9092"`
	// KafkaSASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with
	// the user and password below; unset: no SASL. PLAIN sends the
	// password as it is: use it over TLS only.
	KafkaSASLMechanism string `env:"KAFKA_SASL_MECHANISM"`
	KafkaSASLUsername  string `env:"KAFKA_SASL_USERNAME"`
	KafkaSASLPassword  string `env:"KAFKA_SASL_PASSWORD"`
	// KafkaTLS turns TLS on, verified against the system's roots or the
	// CA of KafkaTLSServerCACertPath; a client certificate and its key
	// (PEM files) authenticate the client to brokers that ask for one.
	KafkaTLS                 bool   `env:"KAFKA_TLS"`
	KafkaTLSServerCACertPath string `env:"KAFKA_TLS_SERVER_CA_CERT_PATH"`
	KafkaTLSClientCertPath   string `env:"KAFKA_TLS_CLIENT_CERT_PATH"`
	KafkaTLSClientKeyPath    string `env:"KAFKA_TLS_CLIENT_KEY_PATH"`
}

// SASLMechanisms are the values KAFKA_SASL_MECHANISM takes.
var SASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// Validate checks there is a broker, and that SASL and TLS are configured
// whole or not at all.
func (c Kafka) Validate() error {
	var errs []error
	if len(c.KafkaBrokers) == 0 {
		errs = append(errs, errors.New("KAFKA_BROKERS is empty: want host:port[,host:port]"))
	}
	switch {
	case c.KafkaSASLMechanism == "" && (c.KafkaSASLUsername != "" || c.KafkaSASLPassword != ""):
		errs = append(errs, fmt.Errorf("KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set without KAFKA_SASL_MECHANISM: want one of %v", SASLMechanisms))
	case c.KafkaSASLMechanism != "" && !slices.Contains(SASLMechanisms, c.KafkaSASLMechanism):
		errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM=%q: want one of %v", c.KafkaSASLMechanism, SASLMechanisms))
	case c.KafkaSASLMechanism != "" && (c.KafkaSASLUsername == "" || c.KafkaSASLPassword == ""):
		errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM=%s needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", c.KafkaSASLMechanism))
	}
	if !c.KafkaTLS {
		for _, s := range []setting{{"KAFKA_TLS_SERVER_CA_CERT_PATH", c.KafkaTLSServerCACertPath},
			{"KAFKA_TLS_CLIENT_CERT_PATH", c.KafkaTLSClientCertPath}, {"KAFKA_TLS_CLIENT_KEY_PATH", c.KafkaTLSClientKeyPath}} {
			if s.value != "" {
				errs = append(errs, fmt.Errorf("%s is set, but KAFKA_TLS is not true", s.name))
			}
		}
	}
	if (c.KafkaTLSClientCertPath == "") != (c.KafkaTLSClientKeyPath == "") {
		errs = append(errs, errors.New("KAFKA_TLS_CLIENT_CERT_PATH and KAFKA_TLS_CLIENT_KEY_PATH go together: a client certificate needs its key"))
	}
	return errors.Join(errs...)
}
