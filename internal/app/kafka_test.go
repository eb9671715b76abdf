package app

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/orderflow/orderflow/internal/devtools/testpki"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// kfake speaks SASL and TLS like a broker: the publisher signs in with each
// mechanism over mTLS and publishes; a wrong CA, a missing client
// certificate and a wrong password each stop the start naming the setting.
func TestKafkaSASLAndTLS(t *testing.T) {
	ca, other := testpki.NewCA(t, "kafka-ca"), testpki.NewCA(t, "other")
	server, client := ca.Server(t), ca.Client(t, "relay")
	cluster, err := kfake.NewCluster(kfake.Ports(0), kfake.AllowAutoTopicCreation(), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-relay", "plain-pw"),
		kfake.Superuser("SCRAM-SHA-256", "relay256", "pw-256"),
		kfake.Superuser("SCRAM-SHA-512", "relay512", "pw-512"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{server.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	base := config.Kafka{KafkaBrokers: config.List(cluster.ListenAddrs()), KafkaTLS: true,
		KafkaTLSServerCACertPath: ca.CertFile, KafkaTLSClientCertPath: client.CertFile, KafkaTLSClientKeyPath: client.KeyFile}
	start := func(cfg config.Kafka) (*events.Publisher, error) {
		if err := cfg.Validate(); err != nil {
			t.Fatalf("settings refused: %v", err)
		}
		sec, err := kafkaSecurity(cfg)
		if err != nil {
			return nil, err
		}
		p := events.NewPublisher(cfg.KafkaBrokers, sec)
		if err := checkKafkaSecurity(context.Background(), p, cfg, sec); err != nil {
			p.Close()
			return nil, err
		}
		return p, nil
	}

	for mechanism, user := range map[string][2]string{"PLAIN": {"plain-relay", "plain-pw"}, "SCRAM-SHA-256": {"relay256", "pw-256"}, "SCRAM-SHA-512": {"relay512", "pw-512"}} {
		cfg := base
		cfg.KafkaSASLMechanism, cfg.KafkaSASLUsername, cfg.KafkaSASLPassword = mechanism, user[0], user[1]
		p, err := start(cfg)
		if err != nil {
			t.Fatalf("%s: %v", mechanism, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = p.Publish(ctx, "connection.test", "k", events.CloudEvent{ID: mechanism, Type: "test"})
		cancel()
		p.Close()
		if err != nil {
			t.Fatalf("%s: publish: %v", mechanism, err)
		}
	}

	sasl := func(cfg config.Kafka) config.Kafka {
		cfg.KafkaSASLMechanism, cfg.KafkaSASLUsername, cfg.KafkaSASLPassword = "SCRAM-SHA-512", "relay512", "pw-512"
		return cfg
	}
	wrongCA, noCert, wrongPassword := sasl(base), sasl(base), sasl(base)
	wrongCA.KafkaTLSServerCACertPath = other.CertFile
	noCert.KafkaTLSClientCertPath, noCert.KafkaTLSClientKeyPath = "", ""
	wrongPassword.KafkaSASLPassword = "not-the-password"
	for name, tc := range map[string]struct {
		cfg  config.Kafka
		want string
	}{
		"wrong CA":       {wrongCA, "KAFKA_TLS_SERVER_CA_CERT_PATH=" + other.CertFile},
		"no client cert": {noCert, "KAFKA_TLS_CLIENT_CERT_PATH and KAFKA_TLS_CLIENT_KEY_PATH"},
		"wrong password": {wrongPassword, "refused KAFKA_SASL_USERNAME=relay512 with KAFKA_SASL_PASSWORD"},
	} {
		began := time.Now()
		p, err := start(tc.cfg)
		if err == nil {
			p.Close()
			t.Errorf("%s: started", name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("%s: want one line with %q and no password, got %v", name, tc.want, err)
		}
		if d := time.Since(began); d > 8*time.Second {
			t.Errorf("%s: took %s to fail", name, d)
		}
	}
}
