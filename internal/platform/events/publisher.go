package events

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Publisher writes CloudEvents to Kafka. It is safe for concurrent use.
type Publisher struct {
	brokers   []string
	dialer    *kafka.Dialer // for Ping
	transport *kafka.Transport
	w         *kafka.Writer
}

// Security is how the publisher reaches the brokers: TLS and a SASL
// mechanism, each nil for none.
type Security struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// NewPublisher returns a publisher to the given brokers. Topics are created
// on first use when the broker allows it.
func NewPublisher(brokers []string, sec Security) *Publisher {
	// The writer's transport and Ping's dialer sign in alike.
	transport := &kafka.Transport{TLS: sec.TLS, SASL: sec.SASL}
	return &Publisher{brokers: brokers, transport: transport, dialer: &kafka.Dialer{TLS: sec.TLS, SASLMechanism: sec.SASL}, w: &kafka.Writer{
		Addr:      kafka.TCP(brokers...),
		Transport: transport,
		Balancer:  &kafka.Hash{}, // same key, same partition: per-aggregate ordering
		// kafka-go's default BatchTimeout is 1 s, which would add a second to
		// every synchronous publish from an activity.
		BatchTimeout:           5 * time.Millisecond,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		WriteTimeout:           10 * time.Second,
	}}
}

// Message is one event, the key that picks its partition, and its origin:
// the request ID goes out as the RequestIDHeader header, the trace parent
// as the traceparent header and CloudEvents attribute (the distributed
// tracing extension), so a consumer can continue the trace.
type Message struct {
	Key   string
	Event CloudEvent
	Origin
}

// The Kafka headers that carry a message's Origin.
const (
	RequestIDHeader   = "request_id"
	TraceParentHeader = "traceparent"
)

// Publish writes ev to topic keyed by key and waits for the broker's ack.
func (p *Publisher) Publish(ctx context.Context, topic, key string, ev CloudEvent) error {
	return p.PublishBatch(ctx, topic, []Message{{Key: key, Event: ev}})
}

// PublishBatch writes msgs to topic in one request and waits for the ack.
func (p *Publisher) PublishBatch(ctx context.Context, topic string, msgs []Message) error {
	out := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		m.Event.TraceParent = m.TraceParent
		value, err := json.Marshal(m.Event)
		if err != nil {
			return err
		}
		out[i] = kafka.Message{
			Topic: topic,
			Key:   []byte(m.Key),
			Value: value,
			Headers: []kafka.Header{
				{Key: "content-type", Value: []byte("application/cloudevents+json")},
				{Key: "ce_id", Value: []byte(m.Event.ID)},
				{Key: "ce_type", Value: []byte(m.Event.Type)},
			},
		}
		if m.RequestID != "" {
			out[i].Headers = append(out[i].Headers, kafka.Header{Key: RequestIDHeader, Value: []byte(m.RequestID)})
		}
		if m.TraceParent != "" {
			out[i].Headers = append(out[i].Headers, kafka.Header{Key: TraceParentHeader, Value: []byte(m.TraceParent)})
		}
	}
	return p.w.WriteMessages(ctx, out...)
}

// Ping checks that at least one broker answers a metadata request, for
// readiness probes.
func (p *Publisher) Ping(ctx context.Context) error {
	var err error
	for _, broker := range p.brokers {
		var conn *kafka.Conn
		if conn, err = p.dialer.DialContext(ctx, "tcp", broker); err != nil {
			continue
		}
		_, err = conn.Brokers()
		conn.Close()
		if err == nil {
			return nil
		}
	}
	return err
}

// Close flushes pending writes, then closes the connections.
func (p *Publisher) Close() error {
	err := p.w.Close()
	p.transport.CloseIdleConnections()
	return err
}
