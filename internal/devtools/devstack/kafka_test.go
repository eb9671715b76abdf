package devstack

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

// The services use segmentio/kafka-go, whose consumer-group protocol is old:
// prove kfake serves it, committed offsets included, across a restart.
func TestKafkaServesKafkaGoConsumerGroupsAcrossRestart(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	port, err := FreePort()
	require.NoError(t, err)
	opts := KafkaOptions{Port: port, Topics: []string{"orders"}, DataDir: filepath.Join(t.TempDir(), "kafka"), Logger: testLogger(t)}
	k, err := StartKafka(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, k.Stop)
	require.Equal(t, []string{loopback(port)}, k.Brokers())

	produce(t, ctx, k.Brokers(), "order-1", "order-2", "order-3")
	require.ElementsMatch(t, []string{"order-1", "order-2", "order-3"}, consume(t, ctx, k.Brokers(), 3))

	require.NoError(t, k.Stop(ctx))
	require.NoError(t, k.Stop(ctx), "Stop is idempotent")
	again, err := StartKafka(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, again.Stop)

	// The group resumes after its committed offsets: only the new record.
	produce(t, ctx, again.Brokers(), "order-4")
	require.Equal(t, []string{"order-4"}, consume(t, ctx, again.Brokers(), 1))
}

func produce(t *testing.T, ctx context.Context, brokers []string, values ...string) {
	t.Helper()
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        "orders",
		BatchTimeout: 5 * time.Millisecond, // the 1 s default would make every write crawl
		RequiredAcks: kafka.RequireAll,
	}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: []byte(v), Value: []byte(v)}
	}
	require.NoError(t, w.WriteMessages(ctx, msgs...))
}

// consume reads n records as a member of the group "billing" and then checks
// that nothing else is waiting.
func consume(t *testing.T, ctx context.Context, brokers []string, n int) []string {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers,
		GroupID: "billing",
		Topic:   "orders",
		MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	var got []string
	for range n {
		msg, err := r.ReadMessage(ctx) // commits the offset before returning
		require.NoError(t, err)
		got = append(got, string(msg.Value))
	}
	idle, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	extra, err := r.ReadMessage(idle)
	require.ErrorIs(t, err, context.DeadlineExceeded, "unexpected record %q", extra.Value)
	return got
}
