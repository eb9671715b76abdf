package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Device types.
const (
	DeviceWebPush = "web_push" // a browser's Web Push subscription
	DeviceMobile  = "mobile"   // a phone app's registration token
)

// MaxDevices is how many devices one account may register: every browser
// and phone of a person, with room to spare, but not an unbounded fan-out
// of every message.
const MaxDevices = 20

var (
	// ErrDeviceNotFound means the account has no device with that ID.
	ErrDeviceNotFound = errors.New("device not found")
	// ErrTooManyDevices means the account has MaxDevices already.
	ErrTooManyDevices = fmt.Errorf("an account registers at most %d devices", MaxDevices)
	// ErrDeviceTaken means another account registered the Web Push
	// endpoint with other keys.
	ErrDeviceTaken = errors.New("this push endpoint is registered to another account with other keys")
)

// Device is one browser or phone that a user's push notifications go to.
// The subscription's keys never leave the store in JSON: they encrypt the
// messages (RFC 8291), and whoever has them with the endpoint can read them.
type Device struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Web Push: the push service's URL for the subscription, and its keys.
	Endpoint string `json:"endpoint,omitempty"`
	P256dh   string `json:"-"`
	Auth     string `json:"-"`
	// Mobile: the platform (ios, android) and the app's registration token.
	Platform  string    `json:"platform,omitempty"`
	Token     string    `json:"token,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// address is what identifies the device to its push service: the endpoint
// or the token.
func (d Device) address() string {
	if d.Type == DeviceWebPush {
		return d.Endpoint
	}
	return d.Token
}

// RegisterDevice adds d to the user's devices and returns it, with created
// false when the user had registered it already (its keys are then
// refreshed: a browser may renew them). A device another account
// registered moves to this one when the caller proves it holds it: a
// phone's token, or a subscription's endpoint with the same keys (the
// browser has them; someone who only learnt the endpoint does not, and must
// not take the pushes away from its owner). ErrNotFound: no such account;
// ErrTooManyDevices: the account has MaxDevices; ErrDeviceTaken: another
// account's subscription, with other keys.
func (s *Store) RegisterDevice(ctx context.Context, userID string, d Device) (_ Device, created bool, err error) {
	if _, err := uuid.Parse(userID); err != nil {
		return Device{}, false, ErrNotFound
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The account's row lock orders its registrations, so two at once
		// cannot both take the last place. NO KEY: sign-ins, whose sessions
		// reference the account, are not held up.
		tag, err := tx.Exec(ctx, `SELECT FROM users.accounts WHERE id = $1 FOR NO KEY UPDATE`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		var count int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users.devices WHERE user_id = $1`, userID).Scan(&count); err != nil {
			return err
		}
		var owner uuid.UUID
		var p256dh, auth string
		err = tx.QueryRow(ctx, `SELECT user_id, p256dh, auth FROM users.devices WHERE address = $1`, d.address()).Scan(&owner, &p256dh, &auth)
		switch {
		case err == nil && owner.String() == userID:
		case err == nil && d.Type == DeviceWebPush && (p256dh != d.P256dh || auth != d.Auth):
			return ErrDeviceTaken
		case err == nil || errors.Is(err, pgx.ErrNoRows):
			if count >= MaxDevices {
				return ErrTooManyDevices
			}
			created = true
		default:
			return err
		}
		d, err = scanDevice(tx.QueryRow(ctx, `
			INSERT INTO users.devices (id, user_id, type, address, platform, p256dh, auth)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (address) DO UPDATE SET
				-- Moved from another account: a new device of this one's,
				-- which the other's ID no longer names.
				id         = CASE WHEN devices.user_id = excluded.user_id THEN devices.id ELSE excluded.id END,
				created_at = CASE WHEN devices.user_id = excluded.user_id THEN devices.created_at ELSE now() END,
				user_id = excluded.user_id, type = excluded.type, platform = excluded.platform,
				p256dh = excluded.p256dh, auth = excluded.auth, updated_at = now()
			RETURNING `+deviceColumns,
			uuid.Must(uuid.NewV7()), userID, d.Type, d.address(), d.Platform, d.P256dh, d.Auth))
		return err
	})
	return d, created, err
}

// Devices returns the user's devices, oldest first.
func (s *Store) Devices(ctx context.Context, userID string) ([]Device, error) {
	if _, err := uuid.Parse(userID); err != nil {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM users.devices WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Device, error) { return scanDevice(row) })
}

// DeleteDevice deletes one of the user's devices, or returns
// ErrDeviceNotFound: another account's device is not theirs to see.
func (s *Store) DeleteDevice(ctx context.Context, userID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrDeviceNotFound
	}
	if _, err := uuid.Parse(userID); err != nil {
		return ErrDeviceNotFound
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM users.devices WHERE id = $1 AND user_id = $2`, id, userID)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrDeviceNotFound
	}
	return err
}

// ForgetDevice deletes a device its push service says is gone (the browser
// unsubscribed, the app was uninstalled), whoever it belongs to; one
// already gone is not an error.
func (s *Store) ForgetDevice(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM users.devices WHERE id = $1`, id)
	return err
}

const deviceColumns = `id, type, address, platform, p256dh, auth, created_at`

func scanDevice(row pgx.Row) (Device, error) {
	var (
		d       Device
		id      uuid.UUID
		address string
	)
	if err := row.Scan(&id, &d.Type, &address, &d.Platform, &d.P256dh, &d.Auth, &d.CreatedAt); err != nil {
		return Device{}, err
	}
	d.ID = id.String()
	if d.Type == DeviceWebPush {
		d.Endpoint = address
	} else {
		d.Token = address
	}
	return d, nil
}
