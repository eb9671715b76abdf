package inventory

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// Why an outbox rather than publishing from the activities after commit: the
// activities are not the only writers (the API adjusts stock, the seed and
// the migration receive it), a process can die between its commit and its
// publish, and a retried activity that finds its work done would have to
// find the events it never published. Queuing the event in the outbox in
// the transaction of the change makes "committed" and "will be published"
// one fact, for every writer, and a rolled-back change is never published.

// Publisher publishes a batch of CloudEvents in one request; *events.Publisher is one.
type Publisher interface {
	PublishBatch(ctx context.Context, topic string, msgs []events.Message) error
}

const (
	// relayBatch bounds one transaction: a crash re-publishes at most this many.
	relayBatch = 200
	// relayInterval is the most an event waits before it is published.
	relayInterval = 200 * time.Millisecond
	// relayLock is the PostgreSQL advisory lock that lets one relay publish
	// at a time when several inventory workers run, which keeps each stock
	// row's events in ledger order on Kafka.
	relayLock = 0x696e76656e746f72 // "inventor"
)

// Relay publishes the ledger's events to Kafka (events.InventoryTopic, keyed
// by SKU, as CloudEvents of type "inventory.<kind>" whose ID is derived from
// the ledger event's ID), at least once: consumers drop repeated IDs.
type Relay struct {
	pool   *pgxpool.Pool
	pub    Publisher
	logger *slog.Logger
}

// NewRelay returns a relay that publishes s's outbox through pub.
func NewRelay(s *Store, pub Publisher, logger *slog.Logger) *Relay {
	return &Relay{pool: s.pool, pub: pub, logger: logger}
}

// Run drains the outbox every relayInterval until ctx ends. A Kafka outage
// delays events; stock changes go on.
func (r *Relay) Run(ctx context.Context) {
	events.RunRelay(ctx, "inventory", relayInterval, relayBatch, r.publishBatch, r.logger)
}

// publishBatch publishes the oldest pending events, in ledger order, and
// takes them out of the outbox once Kafka acknowledged them. Another relay
// holding the lock makes it return 0 at once.
func (r *Relay) publishBatch(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var leader bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(relayLock)).Scan(&leader); err != nil || !leader {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM inventory.outbox o JOIN inventory.stock_events e ON e.id = o.event_id
			ORDER BY o.event_id LIMIT $1`, relayBatch)
		if err != nil {
			return err
		}
		batch, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
		if err != nil || len(batch) == 0 {
			return err
		}
		msgs := make([]events.Message, len(batch))
		ids := make([]int64, len(batch))
		for i, ev := range batch {
			ce, err := events.New("stock-event-"+strconv.FormatInt(ev.ID, 10), "inventory."+ev.Kind, "/orderflow/inventory", ev.SKU, ev.CreatedAt, ev)
			if err != nil {
				return err
			}
			msgs[i], ids[i] = events.Message{Key: ev.SKU, Event: ce, RequestID: ev.RequestID}, ev.ID
		}
		if err := r.pub.PublishBatch(ctx, events.InventoryTopic, msgs); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inventory.outbox WHERE event_id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
}
