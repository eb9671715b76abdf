// Package users is the user service's data, in the "users" schema: accounts
// with their argon2id password hashes, profiles and notification
// preferences, the sessions whose refresh tokens rotate on every use, and
// the devices (browsers, phones) their push notifications go to.
package users

import (
	"errors"
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// Roles.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
)

var (
	// ErrNotFound means no account has the ID or email.
	ErrNotFound = errors.New("user not found")
	// ErrEmailTaken means another account signs in with that email.
	ErrEmailTaken = errors.New("email already registered")
)

// User is one account as the API shows it; the password hash never leaves
// the store.
type User struct {
	ID           string      `json:"id"`
	Email        string      `json:"email"`
	Role         string      `json:"role"`
	Name         string      `json:"name"`
	Phone        string      `json:"phone"`
	TimeZone     string      `json:"time_zone"`
	Preferences  Preferences `json:"notification_preferences"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	passwordHash string
}

// Preferences are how the user wants to be told about their orders: the
// channels to try, in order (email, sms, push: their devices), and the
// quiet hours during which an SMS or push that is not urgent waits for the
// morning.
type Preferences struct {
	Channels   []string                  `json:"channels"`
	QuietHours *notifications.QuietHours `json:"quiet_hours"`
}

// Contact is where and how the user's order notifications go, as the order
// workflow takes it when the order is placed.
func (u User) Contact() notifications.Contact {
	return notifications.Contact{
		Email: u.Email, Phone: u.Phone,
		Channels: u.Preferences.Channels, TimeZone: u.TimeZone, QuietHours: u.Preferences.QuietHours,
	}
}
