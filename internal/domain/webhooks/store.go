package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// Store keeps the endpoints and the delivery log in the notifications
// schema.
type Store struct {
	pool    *pgxpool.Pool
	secrets Sealer
}

// Sealer encrypts the endpoints' signing secrets in their table
// (*payloadcrypt.Codec is one).
type Sealer interface {
	Seal(secret string) string
	Open(sealed string) (string, error)
}

// NewStore returns the store in pool's database, its secrets sealed by
// secrets.
func NewStore(pool *pgxpool.Pool, secrets Sealer) *Store { return &Store{pool: pool, secrets: secrets} }

const endpointColumns = `id::text, url, description, event_types, enabled, disabled_reason, failing_since,
	previous_secret_expires_at, created_at, updated_at, secret, previous_secret`

func (s *Store) scanEndpoint(row pgx.Row) (Endpoint, error) {
	var e Endpoint
	err := row.Scan(&e.ID, &e.URL, &e.Description, &e.EventTypes, &e.Enabled, &e.DisabledReason, &e.FailingSince,
		&e.RotationEndsAt, &e.CreatedAt, &e.UpdatedAt, &e.sealedSecret, &e.sealedPrevious)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ErrEndpointNotFound
	}
	return e, err
}

// withSecrets opens the endpoint's secrets, only where they are used:
// signing, and the answers that show a new one. An endpoint sealed with a
// key since retired fails there alone, not every listing.
func (s *Store) withSecrets(e Endpoint, err error) (Endpoint, error) {
	if err != nil {
		return e, err
	}
	if e.Secret, err = s.secrets.Open(e.sealedSecret); err != nil {
		return e, fmt.Errorf("webhook endpoint %s: %w", e.ID, err)
	}
	if e.sealedPrevious != "" {
		if e.PreviousSecret, err = s.secrets.Open(e.sealedPrevious); err != nil {
			return e, fmt.Errorf("webhook endpoint %s: %w", e.ID, err)
		}
	}
	return e, nil
}

// CreateEndpoint stores e, enabled, with a new secret, and returns it.
func (s *Store) CreateEndpoint(ctx context.Context, e Endpoint) (Endpoint, error) {
	var created Endpoint
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serializes creations, so the bound holds under concurrency.
		if _, err := tx.Exec(ctx, `LOCK TABLE notifications.webhook_endpoints IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notifications.webhook_endpoints`).Scan(&n); err != nil {
			return err
		}
		if n >= MaxEndpoints {
			return ErrTooManyEndpoints
		}
		var err error
		created, err = s.scanEndpoint(tx.QueryRow(ctx, `INSERT INTO notifications.webhook_endpoints (id, url, description, event_types, secret)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+endpointColumns,
			uuid.New(), e.URL, e.Description, e.EventTypes, s.secrets.Seal(webhooksign.NewSecret())))
		return err
	})
	if err != nil {
		return created, err
	}
	return s.withSecrets(created, nil)
}

// Endpoints lists every endpoint, oldest first.
func (s *Store) Endpoints(ctx context.Context) ([]Endpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endpointColumns+` FROM notifications.webhook_endpoints ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Endpoint, error) { return s.scanEndpoint(row) })
}

// Endpoint returns the endpoint with id.
func (s *Store) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	if uuid.Validate(id) != nil {
		return Endpoint{}, ErrEndpointNotFound
	}
	return s.scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM notifications.webhook_endpoints WHERE id = $1`, id))
}

// EndpointPatch changes what is set of an endpoint.
type EndpointPatch struct {
	URL         *string
	Description *string
	EventTypes  []string // nil: unchanged
	Enabled     *bool
}

// UpdateEndpoint applies p. Enabling an endpoint starts its failure clock
// afresh.
func (s *Store) UpdateEndpoint(ctx context.Context, id string, p EndpointPatch) (Endpoint, error) {
	if uuid.Validate(id) != nil {
		return Endpoint{}, ErrEndpointNotFound
	}
	return s.scanEndpoint(s.pool.QueryRow(ctx, `UPDATE notifications.webhook_endpoints SET
			url = COALESCE($2, url), description = COALESCE($3, description),
			event_types = COALESCE($4, event_types),
			disabled_reason = CASE WHEN $5::boolean THEN '' ELSE disabled_reason END,
			failing_since = CASE WHEN $5::boolean THEN NULL ELSE failing_since END,
			enabled = COALESCE($5, enabled), updated_at = now()
		WHERE id = $1 RETURNING `+endpointColumns, id, p.URL, p.Description, p.EventTypes, p.Enabled))
}

// DeleteEndpoint removes the endpoint and its delivery log; deliveries in
// flight stop at their next attempt.
func (s *Store) DeleteEndpoint(ctx context.Context, id string) error {
	if uuid.Validate(id) != nil {
		return ErrEndpointNotFound
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM notifications.webhook_endpoints WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrEndpointNotFound
	}
	return err
}

// RotateSecret gives the endpoint a new secret, and keeps the current one
// signing for RotationOverlap.
func (s *Store) RotateSecret(ctx context.Context, id string) (Endpoint, error) {
	if uuid.Validate(id) != nil {
		return Endpoint{}, ErrEndpointNotFound
	}
	return s.withSecrets(s.scanEndpoint(s.pool.QueryRow(ctx, `UPDATE notifications.webhook_endpoints SET
			previous_secret = secret, previous_secret_expires_at = now() + $3::interval,
			secret = $2, updated_at = now()
		WHERE id = $1 RETURNING `+endpointColumns, id, s.secrets.Seal(webhooksign.NewSecret()), RotationOverlap.String())))
}

// Subscribers are the enabled endpoints that want events of type t.
func (s *Store) Subscribers(ctx context.Context, t string) ([]Endpoint, error) {
	all, err := s.Endpoints(ctx)
	var subscribed []Endpoint
	for _, e := range all {
		if e.Enabled && Subscribed(e.EventTypes, t) {
			subscribed = append(subscribed, e)
		}
	}
	return subscribed, err
}

// AddDelivery records that the event goes to the endpoint and returns the
// delivery's ID: the same ID for the same event, however often it comes.
func (s *Store) AddDelivery(ctx context.Context, endpointID, eventID, eventType string, payload []byte) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `INSERT INTO notifications.webhook_deliveries (id, endpoint_id, event_id, event_type, payload)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (endpoint_id, event_id) DO UPDATE SET event_id = EXCLUDED.event_id
		RETURNING id::text`, uuid.New(), endpointID, eventID, eventType, payload).Scan(&id)
	return id, err
}

const deliveryColumns = `id::text, endpoint_id::text, event_id, event_type, status, attempts, redeliveries, created_at, updated_at, payload`

func scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &d.Redeliveries,
		&d.CreatedAt, &d.UpdatedAt, &d.Payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrDeliveryNotFound
	}
	return d, err
}

// ToSend returns the delivery and its endpoint, for an attempt.
func (s *Store) ToSend(ctx context.Context, deliveryID string) (Delivery, Endpoint, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM notifications.webhook_deliveries WHERE id = $1`, deliveryID))
	if err != nil {
		return d, Endpoint{}, err
	}
	e, err := s.withSecrets(s.Endpoint(ctx, d.EndpointID))
	return d, e, err
}

// RecordAttempt logs an attempt of the delivery and keeps the endpoint's
// failure clock: a success stops it; a failure starts it, and disables the
// endpoint once it has run for disableAfter (disabled is then true, once).
func (s *Store) RecordAttempt(ctx context.Context, deliveryID string, a Attempt, disableAfter time.Duration) (disabled bool, err error) {
	status := DeliveryPending
	if a.Succeeded() {
		status = DeliverySucceeded
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var endpointID string
		var n int
		err := tx.QueryRow(ctx, `UPDATE notifications.webhook_deliveries SET attempts = attempts + 1, status = $2, updated_at = now()
			WHERE id = $1 RETURNING endpoint_id::text, attempts`, deliveryID, status).Scan(&endpointID, &n)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrDeliveryNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notifications.webhook_attempts
			(delivery_id, attempt, started_at, duration_ms, response_status, response_body, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			deliveryID, n, a.StartedAt, a.DurationMS, a.ResponseStatus, a.ResponseBody, a.Error); err != nil {
			return err
		}
		if a.Succeeded() {
			_, err := tx.Exec(ctx, `UPDATE notifications.webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, endpointID)
			return err
		}
		var enabled bool
		var failingSince *time.Time
		if err := tx.QueryRow(ctx, `SELECT enabled, failing_since FROM notifications.webhook_endpoints WHERE id = $1 FOR UPDATE`,
			endpointID).Scan(&enabled, &failingSince); err != nil {
			return err
		}
		if failingSince == nil {
			failingSince = &a.StartedAt
		}
		disabled = enabled && a.StartedAt.Sub(*failingSince) >= disableAfter
		reason := ""
		if disabled {
			reason = fmt.Sprintf("disabled after failing since %s; the last attempt: %s", failingSince.UTC().Format(time.RFC3339), a.Outcome())
		}
		_, err = tx.Exec(ctx, `UPDATE notifications.webhook_endpoints SET failing_since = $2,
				enabled = enabled AND NOT $3, disabled_reason = CASE WHEN $3 THEN $4 ELSE disabled_reason END, updated_at = now()
			WHERE id = $1`, endpointID, failingSince, disabled, reason)
		return err
	})
	return disabled, err
}

// MarkFailed records that the delivery gave up.
func (s *Store) MarkFailed(ctx context.Context, deliveryID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE notifications.webhook_deliveries SET status = 'failed', updated_at = now()
		WHERE id = $1 AND status = 'pending'`, deliveryID)
	return err
}

// Deliveries lists the endpoint's deliveries, newest first, at most limit.
func (s *Store) Deliveries(ctx context.Context, endpointID string, limit int) ([]Delivery, error) {
	if _, err := s.Endpoint(ctx, endpointID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM notifications.webhook_deliveries
		WHERE endpoint_id = $1 ORDER BY created_at DESC, id LIMIT $2`, endpointID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) { return scanDelivery(row) })
}

// Delivery returns one of the endpoint's deliveries with its attempts,
// oldest first.
func (s *Store) Delivery(ctx context.Context, endpointID, id string) (Delivery, []Attempt, error) {
	if uuid.Validate(endpointID) != nil || uuid.Validate(id) != nil {
		return Delivery{}, nil, ErrDeliveryNotFound
	}
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM notifications.webhook_deliveries
		WHERE id = $1 AND endpoint_id = $2`, id, endpointID))
	if err != nil {
		return d, nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT attempt, started_at, duration_ms, response_status, response_body, error
		FROM notifications.webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return d, nil, err
	}
	attempts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Attempt])
	return d, attempts, err
}

// Redeliver counts a redelivery of the delivery and returns its number,
// which names the workflow that makes it.
func (s *Store) Redeliver(ctx context.Context, endpointID, id string) (int, error) {
	if uuid.Validate(endpointID) != nil || uuid.Validate(id) != nil {
		return 0, ErrDeliveryNotFound
	}
	var n int
	err := s.pool.QueryRow(ctx, `UPDATE notifications.webhook_deliveries SET redeliveries = redeliveries + 1, status = 'pending', updated_at = now()
		WHERE id = $1 AND endpoint_id = $2 RETURNING redeliveries`, id, endpointID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrDeliveryNotFound
	}
	return n, err
}
