package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// recorder is an events.BatchPublisher that keeps what it was given, or fails.
type recorder struct {
	mu        sync.Mutex
	published []events.Message
	down      bool
}

func (r *recorder) PublishBatch(_ context.Context, topic string, msgs []events.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if topic != events.InventoryTopic {
		return errors.New("wrong topic " + topic)
	}
	if r.down {
		return errors.New("broker down")
	}
	r.published = append(r.published, msgs...)
	return nil
}

// of returns the events published about sku.
func (r *recorder) of(sku string) []events.CloudEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.CloudEvent
	for _, m := range r.published {
		if m.Key == sku {
			out = append(out, m.Event)
		}
	}
	return out
}

// drain publishes the whole outbox, as Run does every interval.
func drain(t *testing.T, r *events.Relay[Event, int64]) (int, error) {
	t.Helper()
	total := 0
	for {
		n, err := r.PublishBatch(context.Background())
		total += n
		if err != nil || n < r.Batch {
			return total, err
		}
	}
}

func TestRelayPublishesEachLedgerEventOnceInOrder(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	sku := newSKU(t, map[string]int{"w1": 5})
	_, err := s.Reserve(ctx, reserveReq("res-"+sku, Line{SKU: sku, Quantity: 2}))
	require.NoError(t, err)
	require.NoError(t, s.Commit(ctx, "res-"+sku, "test"))

	pub := &recorder{}
	relay := s.Relay(pub, quiet)
	_, err = drain(t, relay)
	require.NoError(t, err)
	n, err := drain(t, relay)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is published twice")

	evs := ledger(t, sku)
	got := pub.of(sku)
	require.Len(t, got, len(evs))
	for i, ce := range got {
		require.Equal(t, "stock-event-"+strconv.FormatInt(evs[i].ID, 10), ce.ID, "the ID is the ledger's: consumers drop repeats")
		require.Equal(t, "inventory."+evs[i].Kind, ce.Type)
		require.Equal(t, "/orderflow/inventory", ce.Source)
		require.Equal(t, sku, ce.Subject)
		require.JSONEq(t, `"`+evs[i].Kind+`"`, jsonField(t, ce.Data, "kind"))
	}
	require.Equal(t, []string{"inventory.received", "inventory.reserved", "inventory.committed"},
		[]string{got[0].Type, got[1].Type, got[2].Type})
}

func TestRelayKeepsWhatKafkaDidNotTake(t *testing.T) {
	s := NewStore(testPool)
	_, err := drain(t, s.Relay(&recorder{}, quiet)) // what other tests left
	require.NoError(t, err)
	sku := newSKU(t, map[string]int{"w1": 1, "w2": 1, "w3": 1})

	n, err := drain(t, s.Relay(&recorder{down: true}, quiet))
	require.ErrorContains(t, err, "broker down")
	require.Zero(t, n)

	later := &recorder{}
	n, err = drain(t, s.Relay(later, quiet))
	require.NoError(t, err)
	require.Equal(t, 3, n, "the events stayed in the outbox")
	require.Len(t, later.of(sku), 3)
}

func jsonField(t *testing.T, raw []byte, field string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	b, err := json.Marshal(m[field])
	require.NoError(t, err)
	return string(b)
}
