package notifications

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Attempt statuses.
const (
	AttemptSending     = "sending"
	AttemptSent        = "sent"
	AttemptFailed      = "failed"
	AttemptInterrupted = "interrupted" // the call's outcome is unknown
)

// NewAttempt is one provider call about to be made.
type NewAttempt struct {
	NotificationID string
	Channel        string
	Provider       string
	IdempotencyKey string
	Attempt        int // the activity's attempt number
}

// Outcome is what a provider call came to.
type Outcome struct {
	StatusCode        int // 0: no answer arrived
	ProviderMessageID string
	Error             string // "" when the provider accepted the message
	Permanent         bool
}

// SentMessageID returns the provider's message ID when a call under key was
// already accepted: the message must not be sent again.
func (s *Store) SentMessageID(ctx context.Context, key string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `
		SELECT provider_message_id FROM notifications.attempts
		WHERE idempotency_key = $1 AND status = 'sent' ORDER BY id LIMIT 1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

// StartAttempt records a call before it is made and returns its ID. An
// earlier call under the same key still "sending" never finished (its worker
// died or timed out): it is marked interrupted.
func (s *Store) StartAttempt(ctx context.Context, a NewAttempt) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE notifications.attempts SET status = 'interrupted', finished_at = now(),
				error = 'the call did not finish; the provider may or may not have the message'
			WHERE idempotency_key = $1 AND status = 'sending'`, a.IdempotencyKey); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			INSERT INTO notifications.attempts (notification_id, channel, provider, idempotency_key, attempt, status)
			VALUES ($1, $2, $3, $4, $5, 'sending') RETURNING id`,
			a.NotificationID, a.Channel, a.Provider, a.IdempotencyKey, a.Attempt).Scan(&id)
	})
	return id, err
}

// FinishAttempt records a call's outcome.
func (s *Store) FinishAttempt(ctx context.Context, id int64, o Outcome) error {
	status := AttemptSent
	if o.Error != "" {
		status = AttemptFailed
	}
	var code *int
	if o.StatusCode != 0 {
		code = &o.StatusCode
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var provider string
		err := tx.QueryRow(ctx, `
			UPDATE notifications.attempts
			SET status = $2, status_code = $3, provider_message_id = $4, error = $5, permanent = $6, finished_at = now()
			WHERE id = $1 RETURNING provider`, id, status, code, o.ProviderMessageID, o.Error, o.Permanent).Scan(&provider)
		if err != nil || status != AttemptSent {
			return err
		}
		return reportEarlyCallbacks(ctx, tx, provider, o.ProviderMessageID)
	})
}
