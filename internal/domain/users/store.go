package users

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// ErrBadCredentials means the email or the password is wrong; which one is
// never said.
var ErrBadCredentials = errors.New("invalid email or password")

// Store reads and writes the users schema.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// NewAccount is an account to create.
type NewAccount struct {
	Email, Password, Role, Name, Phone string
}

// NormalizeEmail is the form emails are stored and looked up in: trimmed,
// ASCII letters lower-cased. Only ASCII: Unicode case folding maps some
// letters to others ("İ" to "i", the Kelvin sign to "k"), which would make
// two mailboxes one account.
func NormalizeEmail(email string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(email))
}

// Create stores a new account, or returns ErrEmailTaken. The password is
// hashed first in either case, so both answers take the same time.
func (s *Store) Create(ctx context.Context, a NewAccount) (User, error) {
	hash, err := HashPassword(ctx, a.Password)
	if err != nil {
		return User{}, err
	}
	if a.Role == "" {
		a.Role = RoleCustomer
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `
		INSERT INTO users.accounts (id, email, password_hash, role, name, phone)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (email) DO NOTHING
		RETURNING `+userColumns,
		uuid.Must(uuid.NewV7()), NormalizeEmail(a.Email), hash, a.Role, a.Name, a.Phone))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrEmailTaken
	}
	return u, err
}

// Authenticate returns the account that signs in with email and password,
// or ErrBadCredentials. An unknown email is checked against a dummy hash, so
// it takes as long as a wrong password.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users.accounts WHERE email = $1`, NormalizeEmail(email)))
	hash := u.passwordHash
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		hash = dummyHash
	case err != nil:
		return User{}, err
	}
	ok, err := verifyPassword(ctx, password, hash)
	switch {
	case err != nil:
		return User{}, err
	case !ok || hash == dummyHash:
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// Get returns one account, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (User, error) {
	if _, err := uuid.Parse(id); err != nil {
		return User{}, ErrNotFound
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users.accounts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// ByEmail returns the account with email (in any case), or ErrNotFound.
func (s *Store) ByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users.accounts WHERE email = $1`, NormalizeEmail(email)))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Admins lists the admin accounts, oldest first: who is told of what
// needs an operator.
func (s *Store) Admins(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users.accounts WHERE role = $1 ORDER BY created_at, id`, RoleAdmin)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
}

// Patch changes the fields of a profile that are set; the others stay.
type Patch struct {
	Name, Email, Phone, TimeZone *string
	Channels                     []string // nil: unchanged
	// SetQuietHours changes the quiet hours to QuietHours (nil: none).
	SetQuietHours bool
	QuietHours    *notifications.QuietHours
}

// Update applies p to the account and returns it, or ErrNotFound, or
// ErrEmailTaken when the new email signs another account in.
func (s *Store) Update(ctx context.Context, id string, p Patch) (User, error) {
	if p.Email != nil {
		e := NormalizeEmail(*p.Email)
		p.Email = &e
	}
	var start, end *string
	if p.QuietHours != nil {
		start, end = &p.QuietHours.Start, &p.QuietHours.End
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `
		UPDATE users.accounts SET
			name        = coalesce($2, name),
			email       = coalesce($3, email),
			phone       = coalesce($4, phone),
			time_zone   = coalesce($5, time_zone),
			channels    = coalesce($6, channels),
			quiet_start = CASE WHEN $7 THEN $8 ELSE quiet_start END,
			quiet_end   = CASE WHEN $7 THEN $9 ELSE quiet_end END,
			updated_at  = now()
		WHERE id = $1
		RETURNING `+userColumns,
		id, p.Name, p.Email, p.Phone, p.TimeZone, p.Channels, p.SetQuietHours, start, end))
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return User{}, ErrNotFound
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
		return User{}, ErrEmailTaken
	}
	return u, err
}

const userColumns = `id, email, password_hash, role, name, phone, time_zone, channels, quiet_start, quiet_end, created_at, updated_at`

func scanUser(row pgx.Row) (User, error) {
	var (
		u          User
		id         uuid.UUID
		start, end *string
	)
	err := row.Scan(&id, &u.Email, &u.passwordHash, &u.Role, &u.Name, &u.Phone, &u.TimeZone,
		&u.Preferences.Channels, &start, &end, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return User{}, err
	}
	u.ID = id.String()
	if start != nil && end != nil {
		u.Preferences.QuietHours = &notifications.QuietHours{Start: *start, End: *end}
	}
	return u, nil
}
