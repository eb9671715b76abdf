package devstack

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kfake"
)

// KafkaOptions configures StartKafka.
type KafkaOptions struct {
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// Topics are created up front with kfake's default of 10 partitions;
	// others are created on first use.
	Topics []string
	// DataDir, when set, persists topics, records and committed offsets
	// there so they survive a clean Stop and start; writes reach the disk
	// through the page cache, so a crash can lose the last ones. "" keeps
	// everything in memory, gone when the process exits.
	DataDir string
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// Kafka is a one-broker, in-process Kafka-protocol cluster (franz-go's kfake)
// for development and tests: no Kafka broker is installable here, and kfake
// speaks the real wire protocol, so kafka-go clients, consumer groups
// included, run unchanged. It lives in this process: its state is in memory
// unless KafkaOptions.DataDir is set. Production points KAFKA_BROKERS at a
// real cluster instead.
type Kafka struct {
	cluster *kfake.Cluster
}

// StartKafka starts the cluster, listening on 127.0.0.1 only.
func StartKafka(ctx context.Context, o KafkaOptions) (*Kafka, error) {
	logger := loggerOrDefault(o.Logger)
	opts := []kfake.Opt{
		kfake.Ports(o.Port), // one port, one broker; 0 lets the kernel choose
		kfake.AllowAutoTopicCreation(),
	}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(-1, o.Topics...))
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start Kafka (kfake) on port %d: %w", o.Port, err)
	}
	k := &Kafka{cluster: cluster}
	logger.Info("Kafka (in-process kfake) ready", "brokers", k.Brokers(), "persistent", o.DataDir != "")
	return k, nil
}

// Brokers are the bootstrap addresses, for KAFKA_BROKERS.
func (k *Kafka) Brokers() []string { return k.cluster.ListenAddrs() }

// Stop closes the listener and, with a DataDir, saves the state to disk.
// Calling it again does nothing.
func (k *Kafka) Stop(context.Context) error {
	k.cluster.Close()
	return nil
}
