package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/platform/keyset"
)

// Notification is one message as the API shows it.
type Notification struct {
	ID         string   `json:"id"`
	OrderID    string   `json:"order_id,omitempty"`
	Kind       string   `json:"kind"`
	Status     Status   `json:"status"`
	Round      int      `json:"round"`
	Urgent     bool     `json:"urgent"`
	Channels   []string `json:"channels"`
	WorkflowID string   `json:"workflow_id"`
	// The channel and provider that delivered it, and what the provider
	// last reported about it.
	Channel           string            `json:"channel,omitempty"`
	Provider          string            `json:"provider,omitempty"`
	ProviderMessageID string            `json:"provider_message_id,omitempty"`
	Delivery          *Delivery         `json:"delivery,omitempty"`
	ScheduledFor      *time.Time        `json:"scheduled_for,omitempty"`
	Failures          map[string]string `json:"failures,omitempty"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	// Attempts are the provider calls, oldest first (Get only).
	Attempts []Attempt `json:"attempts,omitempty"`
	// Input is what the workflow was started with, for a retry; it holds
	// the recipient's addresses, so it is not shown.
	Input Input `json:"-"`
}

// Delivery is the most telling delivery event a provider reported.
type Delivery struct {
	State  string    `json:"state"` // accepted, delivered or undelivered
	Event  string    `json:"event"` // the provider's word
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// Attempt is one provider call.
type Attempt struct {
	Channel           string     `json:"channel"`
	Provider          string     `json:"provider"`
	Attempt           int        `json:"attempt"`
	Status            string     `json:"status"`
	StatusCode        *int       `json:"status_code,omitempty"`
	ProviderMessageID string     `json:"provider_message_id,omitempty"`
	Error             string     `json:"error,omitempty"`
	Permanent         bool       `json:"permanent,omitempty"`
	StartedAt         time.Time  `json:"started_at"`
	FinishedAt        *time.Time `json:"finished_at,omitempty"`
	Delivery          *Delivery  `json:"delivery,omitempty"`
}

// latestDelivery joins, as d, the highest-ranked delivery event of the
// message that row alias %[1]s names.
const latestDelivery = `
	LEFT JOIN LATERAL (
		SELECT e.state, e.event, e.detail, e.occurred_at FROM notifications.delivery_events e
		WHERE %[1]s.provider_message_id <> '' AND e.provider = %[1]s.provider
			AND e.provider_message_id = %[1]s.provider_message_id AND e.rank > 0
		ORDER BY e.rank DESC, e.occurred_at DESC LIMIT 1
	) d ON true`

var selectNotifications = `
	SELECT n.id, n.order_id, n.kind, n.status, n.round, n.channel, n.provider, n.provider_message_id,
		n.scheduled_for, n.failures, n.input, n.created_at, n.updated_at,
		d.state, d.event, d.detail, d.occurred_at
	FROM notifications.notifications n` + fmt.Sprintf(latestDelivery, "n")

// Get returns a notification with its attempts.
func (s *Store) Get(ctx context.Context, id string) (Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, selectNotifications+` WHERE n.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.channel, a.provider, a.attempt, a.status, a.status_code, a.provider_message_id, a.error, a.permanent,
			a.started_at, a.finished_at, d.state, d.event, d.detail, d.occurred_at
		FROM notifications.attempts a`+fmt.Sprintf(latestDelivery, "a")+`
		WHERE a.notification_id = $1 ORDER BY a.id`, id)
	if err != nil {
		return n, err
	}
	n.Attempts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		var d deliveryColumns
		err := row.Scan(&a.Channel, &a.Provider, &a.Attempt, &a.Status, &a.StatusCode, &a.ProviderMessageID, &a.Error,
			&a.Permanent, &a.StartedAt, &a.FinishedAt, &d.state, &d.event, &d.detail, &d.at)
		a.Delivery = d.delivery()
		return a, err
	})
	return n, err
}

// ListFilter selects a page of notifications, newest first. Zero fields
// select everything.
type ListFilter struct {
	OrderID string
	Status  Status
	Limit   int
	Cursor  string // opaque; from the previous page's NextCursor
}

// Page is one page of notifications.
type Page struct {
	Items      []Notification
	NextCursor string
}

// ErrBadCursor means the cursor was not produced by List.
var ErrBadCursor = keyset.ErrBadCursor

// List pages through notifications, newest first, without their attempts:
// an order's, or those in a status (failed: the ones waiting for an
// operator's retry).
func (s *Store) List(ctx context.Context, f ListFilter) (Page, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.OrderID != "" {
		where = append(where, "n.order_id = "+arg(f.OrderID))
	}
	if f.Status != "" {
		where = append(where, "n.status = "+arg(f.Status))
	}
	if f.Cursor != "" {
		c, err := keyset.Parse(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		where = append(where, fmt.Sprintf("(n.created_at, n.id) < (%s, %s)", arg(c.At), arg(c.ID)))
	}
	sql := selectNotifications
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY n.created_at DESC, n.id DESC LIMIT " + arg(f.Limit+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) { return scanNotification(row) })
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		page.NextCursor = keyset.Cursor{At: last.CreatedAt, ID: last.ID}.String()
	}
	return page, nil
}

// deliveryColumns are the nullable columns of latestDelivery.
type deliveryColumns struct {
	state, event, detail *string
	at                   *time.Time
}

func (d deliveryColumns) delivery() *Delivery {
	if d.state == nil {
		return nil
	}
	return &Delivery{State: *d.state, Event: *d.event, Detail: *d.detail, At: *d.at}
}

func scanNotification(row pgx.Row) (Notification, error) {
	var n Notification
	var failures, input []byte
	var d deliveryColumns
	err := row.Scan(&n.ID, &n.OrderID, &n.Kind, &n.Status, &n.Round, &n.Channel, &n.Provider, &n.ProviderMessageID,
		&n.ScheduledFor, &failures, &input, &n.CreatedAt, &n.UpdatedAt, &d.state, &d.event, &d.detail, &d.at)
	if err != nil {
		return n, err
	}
	if err := json.Unmarshal(failures, &n.Failures); err != nil {
		return n, fmt.Errorf("notification %s: failures: %w", n.ID, err)
	}
	if err := json.Unmarshal(input, &n.Input); err != nil {
		return n, fmt.Errorf("notification %s: input: %w", n.ID, err)
	}
	n.Urgent, n.Channels = n.Input.Urgent, n.Input.Channels
	// A late bounce's follow-up is the workflow that now has the message.
	wf := n.Input
	wf.NotificationID = n.ID
	n.WorkflowID = wf.WorkflowID()
	n.Delivery = d.delivery()
	return n, nil
}
