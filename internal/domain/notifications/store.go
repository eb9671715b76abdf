// Package notifications is the notifications service's data, in the
// "notifications" schema: the notifications read model, every provider call
// made for a message, and the delivery events the providers report back.
package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound means no notification has the ID.
var ErrNotFound = errors.New("notification not found")

// Store reads and writes the notifications schema.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Save stores a notification's state as its workflow last recorded it. The
// workflow is the only writer of these rows and records in order, so the
// last write wins.
func (s *Store) Save(ctx context.Context, in Input, st State) error {
	input, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode notification input: %w", err)
	}
	failures := st.Failures
	if failures == nil {
		failures = map[string]string{}
	}
	failuresJSON, err := json.Marshal(failures)
	if err != nil {
		return fmt.Errorf("encode failures: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO notifications.notifications
			(id, order_id, kind, status, round, channel, provider, provider_message_id,
			 scheduled_for, failures, input, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
		ON CONFLICT (id) DO UPDATE SET
			order_id = EXCLUDED.order_id, kind = EXCLUDED.kind, status = EXCLUDED.status,
			round = EXCLUDED.round, channel = EXCLUDED.channel, provider = EXCLUDED.provider,
			provider_message_id = EXCLUDED.provider_message_id, scheduled_for = EXCLUDED.scheduled_for,
			failures = EXCLUDED.failures, input = EXCLUDED.input, updated_at = EXCLUDED.updated_at`,
		st.NotificationID, in.OrderID, in.Kind, st.Status, st.Round, st.Channel, st.Provider, st.ProviderMessageID,
		st.ScheduledFor, failuresJSON, input, st.UpdatedAt)
	return err
}
