// Package notifications is the notifications service's data, in the
// "notifications" schema: the notifications read model, every provider call
// made for a message, the delivery events the providers report back, the
// outbox of notification events (events.NotificationsTopic) and the late
// bounces that moved a message on to the next channel.
package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/platform/events"
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
// message's workflows are the only writers of these rows (its delivery, then
// any late bounce's follow-up, which starts after the delivery recorded its
// send) and record in order, so the last write wins.
//
// In the same transaction it writes the events the change reports to the
// outbox: notification.failed for each channel newly in st.Failures that
// was tried (a channel without an address was not), and notification.sent
// when the row becomes sent on a channel. A repeated write of a state (a
// retried local activity) reports nothing new.
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
	origin := events.OriginOf(ctx)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var before savedState
		var beforeFailures []byte
		err := tx.QueryRow(ctx, `
			SELECT status, round, channel, provider_message_id, failures FROM notifications.notifications
			WHERE id = $1 FOR UPDATE`, st.NotificationID).
			Scan(&before.status, &before.round, &before.channel, &before.providerMessageID, &beforeFailures)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(beforeFailures, &before.failures); err != nil {
				return fmt.Errorf("notification %s: failures: %w", st.NotificationID, err)
			}
		}
		if _, err := tx.Exec(ctx, `
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
			st.ScheduledFor, failuresJSON, input, st.UpdatedAt); err != nil {
			return err
		}
		evs, err := stateEvents(ctx, tx, in, st, before)
		if err != nil {
			return err
		}
		return writeEvents(ctx, tx, origin, evs)
	})
}

// savedState is what the row said before a Save.
type savedState struct {
	status, channel, providerMessageID string
	round                              int
	failures                           map[string]string
}

// stateEvents are the events of the change from before to st: the
// channels that newly failed, in the customer's order, then the send.
func stateEvents(ctx context.Context, tx pgx.Tx, in Input, st State, before savedState) ([]newEvent, error) {
	var evs []newEvent
	base := EventData{NotificationID: st.NotificationID, OrderID: in.OrderID, Kind: in.Kind, Round: st.Round}
	for _, channel := range in.Channels {
		reason, failed := st.Failures[channel]
		if !failed || !in.HasAddress(channel) {
			continue // not tried: no address, or an unknown channel
		}
		if _, seen := before.failures[channel]; seen && before.round == st.Round {
			continue // reported by an earlier write of this round
		}
		a, err := lastAttempt(ctx, tx, st.NotificationID, channel, false)
		if err != nil {
			return nil, err
		}
		d := base
		d.Channel, d.Provider, d.Attempt, d.Reason = channel, a.provider, a.attempt, redact(reason, in)
		if d.Provider == "" {
			d.Provider = channelProviders[channel]
		}
		// The workflow's ID tells a late bounce's follow-up from the first
		// delivery, whose rounds both count from 1.
		evs = append(evs, newEvent{id: fmt.Sprintf("%s/%s/failed/%d", in.WorkflowID(), channel, st.Round),
			typ: EventFailed, at: st.UpdatedAt, data: d})
	}
	if st.Status == StatusSent && st.Channel != "" &&
		(StatusSent != Status(before.status) || before.channel != st.Channel || before.providerMessageID != st.ProviderMessageID) {
		a, err := lastAttempt(ctx, tx, st.NotificationID, st.Channel, true)
		if err != nil {
			return nil, err
		}
		d := base
		d.Channel, d.Provider, d.ProviderMessageID, d.Attempt = st.Channel, st.Provider, st.ProviderMessageID, a.attempt
		// A channel sends a message once (its idempotency key), whatever
		// the round or workflow.
		evs = append(evs, newEvent{id: fmt.Sprintf("%s/%s/sent", st.NotificationID, st.Channel),
			typ: EventSent, at: st.UpdatedAt, data: d})
	}
	return evs, nil
}

// attemptSummary is what an event tells of a provider call.
type attemptSummary struct {
	provider string
	attempt  int
}

// lastAttempt returns the latest provider call for a message on a channel
// (the latest accepted one when sent), or none.
func lastAttempt(ctx context.Context, tx pgx.Tx, notificationID, channel string, sent bool) (attemptSummary, error) {
	var a attemptSummary
	err := tx.QueryRow(ctx, `
		SELECT provider, attempt FROM notifications.attempts
		WHERE notification_id = $1 AND channel = $2 AND (NOT $3 OR status = 'sent')
		ORDER BY id DESC LIMIT 1`, notificationID, channel, sent).Scan(&a.provider, &a.attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil
	}
	return a, err
}
