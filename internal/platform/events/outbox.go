package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// Outbox is a service's table of events, written in the transaction of the
// changes they report, so that "committed" and "will be published" are one
// fact for every writer and a rolled-back change is never published. Its
// relay publishes them to Kafka at least once, oldest first; consumers drop
// repeated event IDs. E is a row of the outbox, ID the key that Done takes.
type Outbox[E any, ID any] struct {
	Name  string // in logs
	Topic string
	// Lock is the PostgreSQL advisory lock that lets one relay of the
	// outbox publish at a time when several workers run, which keeps each
	// key's events in order on Kafka.
	Lock int64
	// Claim selects the oldest pending events, at most $1 of them, in the
	// order they are published; its columns scan into E by position.
	Claim string
	// Done takes the published events ($1: their IDs) out of the outbox.
	Done string
	// Pending counts the events waiting and the age in seconds of the
	// oldest (0 when none), for orderflow_outbox_depth and
	// orderflow_outbox_oldest_age_seconds.
	Pending string
	// Batch bounds one transaction: a crash re-publishes at most this many.
	Batch int
	// Interval is the most an event waits before it is published.
	Interval time.Duration
	// Message is the Kafka message of one event, and its ID for Done.
	Message func(E) (Message, ID, error)
}

// BatchPublisher publishes a batch of CloudEvents in one request; *Publisher
// is one.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, topic string, msgs []Message) error
}

// Relay publishes an outbox through a BatchPublisher.
type Relay[E any, ID any] struct {
	Outbox[E, ID]
	pool   *pgxpool.Pool
	pub    BatchPublisher
	logger *slog.Logger
}

// Relay returns the relay of o, the outbox in pool's database.
func (o Outbox[E, ID]) Relay(pool *pgxpool.Pool, pub BatchPublisher, logger *slog.Logger) *Relay[E, ID] {
	// Exported at 0 from the start, so that a rate or an alert sees the
	// first error as an increase.
	publishErrors.WithLabelValues(o.Topic)
	return &Relay[E, ID]{Outbox: o, pool: pool, pub: pub, logger: logger}
}

// Run drains the outbox every Interval until ctx ends, a batch at a time
// until one comes back short. A Kafka outage delays events, logged and
// retried at the next interval; the changes they report go on.
func (r *Relay[E, ID]) Run(ctx context.Context) {
	go telemetry.Sample(ctx, measureEvery, r.measure)
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	for {
		for {
			n, err := r.PublishBatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Warn("publishing events failed; retrying", "outbox", r.Name, "error", err)
				}
				break
			}
			if n < r.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// PublishBatch publishes the oldest pending events and takes them out of
// the outbox once Kafka acknowledged them, in one transaction. Another
// relay holding the lock makes it return 0 at once.
func (r *Relay[E, ID]) PublishBatch(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var leader bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, r.Lock).Scan(&leader); err != nil || !leader {
			return err
		}
		rows, err := tx.Query(ctx, r.Claim, r.Batch)
		if err != nil {
			return err
		}
		batch, err := pgx.CollectRows(rows, pgx.RowToStructByPos[E])
		if err != nil || len(batch) == 0 {
			return err
		}
		msgs := make([]Message, len(batch))
		ids := make([]ID, len(batch))
		for i, ev := range batch {
			if msgs[i], ids[i], err = r.Message(ev); err != nil {
				return err
			}
		}
		if err := r.pub.PublishBatch(ctx, r.Topic, msgs); err != nil {
			publishErrors.WithLabelValues(r.Topic).Inc()
			return err
		}
		published.WithLabelValues(r.Topic).Add(float64(len(msgs)))
		if _, err := tx.Exec(ctx, r.Done, ids); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// measureEvery is how often a relay measures its outbox: often enough for an
// alert on its lag, rarely enough that the count costs nothing.
const measureEvery = 5 * time.Second

// measure records the outbox's depth and lag. Every replica's relay
// measures, leader or not: they all see the same table.
func (r *Relay[E, ID]) measure(ctx context.Context) {
	var depth int64
	var age float64
	if err := r.pool.QueryRow(ctx, r.Pending).Scan(&depth, &age); err != nil {
		return // the relay's own next attempt logs a database that is down
	}
	outboxDepth.WithLabelValues(r.Name).Set(float64(depth))
	outboxAge.WithLabelValues(r.Name).Set(age)
}

var (
	outboxDepth = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orderflow_outbox_depth",
		Help: "Events in the outbox waiting for Kafka, by outbox.",
	}, []string{"outbox"})
	outboxAge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orderflow_outbox_oldest_age_seconds",
		Help: "Age of the oldest event waiting in the outbox (0 when it is empty), by outbox.",
	}, []string{"outbox"})
	published = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "orderflow_kafka_events_published_total",
		Help: "Events the outbox relays published to Kafka, by topic.",
	}, []string{"topic"})
	publishErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "orderflow_kafka_publish_errors_total",
		Help: "Batches of events Kafka did not acknowledge (retried at the next interval), by topic.",
	}, []string{"topic"})
)
