package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/tlsx"
)

// kafkaSecurity is the TLS and SASL of the settings, which config.Kafka
// has checked are whole.
func kafkaSecurity(cfg config.Kafka) (events.Security, error) {
	var sec events.Security
	if cfg.KafkaTLS {
		tlsCfg, err := tlsx.ClientConfig(kafkaTLSFiles(cfg))
		if err != nil {
			return sec, err
		}
		sec.TLS = tlsCfg
	}
	var err error
	switch cfg.KafkaSASLMechanism {
	case "PLAIN":
		sec.SASL = plain.Mechanism{Username: cfg.KafkaSASLUsername, Password: cfg.KafkaSASLPassword}
	case "SCRAM-SHA-256":
		sec.SASL, err = scram.Mechanism(scram.SHA256, cfg.KafkaSASLUsername, cfg.KafkaSASLPassword)
	case "SCRAM-SHA-512":
		sec.SASL, err = scram.Mechanism(scram.SHA512, cfg.KafkaSASLUsername, cfg.KafkaSASLPassword)
	}
	if err != nil { // a name or password SCRAM cannot normalize; the text quotes no password
		return sec, fmt.Errorf("KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD: %w", err)
	}
	return sec, nil
}

func kafkaTLSFiles(cfg config.Kafka) tlsx.Files {
	return tlsx.Files{
		CA:   tlsx.Setting{Name: "KAFKA_TLS_SERVER_CA_CERT_PATH", Value: cfg.KafkaTLSServerCACertPath},
		Cert: tlsx.Setting{Name: "KAFKA_TLS_CLIENT_CERT_PATH", Value: cfg.KafkaTLSClientCertPath},
		Key:  tlsx.Setting{Name: "KAFKA_TLS_CLIENT_KEY_PATH", Value: cfg.KafkaTLSClientKeyPath},
	}
}

// checkKafkaSecurity fails the start, in one line naming the setting, when
// the brokers refuse our TLS (each broker is probed) or our SASL
// credentials; the relays would otherwise retry for ever behind a failing
// readiness. Brokers that cannot be reached are no error: they may start
// after us.
func checkKafkaSecurity(ctx context.Context, p *events.Publisher, cfg config.Kafka, sec events.Security) error {
	if sec.TLS != nil {
		names := kafkaTLSFiles(cfg).Names(fmt.Sprintf("Kafka at %v (KAFKA_BROKERS)", cfg.KafkaBrokers), "KAFKA_TLS=true", "the host of each broker's address")
		probes, ctx := errgroup.WithContext(ctx)
		for _, broker := range cfg.KafkaBrokers {
			probes.Go(func() error { return tlsx.Probe(ctx, broker, sec.TLS, names) })
		}
		if err := probes.Wait(); err != nil {
			return err
		}
	}
	if sec.SASL == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, tlsx.ProbeTimeout)
	defer cancel()
	if err := p.Ping(ctx); errors.Is(err, kafka.SASLAuthenticationFailed) {
		return fmt.Errorf("Kafka at %v (KAFKA_BROKERS) refused KAFKA_SASL_USERNAME=%s with KAFKA_SASL_PASSWORD (KAFKA_SASL_MECHANISM=%s): %v",
			cfg.KafkaBrokers, cfg.KafkaSASLUsername, cfg.KafkaSASLMechanism, err)
	}
	return nil
}
