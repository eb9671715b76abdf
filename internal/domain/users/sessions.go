package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

var (
	// ErrInvalidRefresh means the refresh token is unknown, expired, or of
	// a session that ended.
	ErrInvalidRefresh = errors.New("invalid refresh token")
	// ErrRefreshReused means the refresh token had been used already: it
	// was copied, so its session is now revoked.
	ErrRefreshReused = errors.New("refresh token reused; session revoked")
)

// StartSession begins a session for the user and returns its first refresh
// token, valid for ttl.
func (s *Store) StartSession(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	// Sweep the user's expired tokens, and the sessions they leave empty,
	// so the tables hold live sessions only. An expired token is refused as
	// expired anyway, so its reuse needs no record.
	if _, err := tx.Exec(ctx, `
		DELETE FROM users.refresh_tokens
		WHERE expires_at < now() AND session_id IN (SELECT id FROM users.sessions WHERE user_id = $1)`, userID); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `
		DELETE FROM users.sessions s
		WHERE s.user_id = $1 AND NOT EXISTS (SELECT 1 FROM users.refresh_tokens t WHERE t.session_id = s.id)`, userID); err != nil {
		return "", err
	}
	session := uuid.Must(uuid.NewV7())
	if _, err := tx.Exec(ctx, `INSERT INTO users.sessions (id, user_id) VALUES ($1, $2)`, session, userID); err != nil {
		return "", err
	}
	token, err := addToken(ctx, tx, session, ttl)
	if err != nil {
		return "", err
	}
	return token, tx.Commit(ctx)
}

// Refresh exchanges a refresh token for the next one of its session, valid
// for ttl, and returns the session's user as stored now (a changed role
// takes effect at the next refresh). A token used before revokes its session
// and returns ErrRefreshReused.
func (s *Store) Refresh(ctx context.Context, token string, ttl time.Duration) (User, string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return User{}, "", err
	}
	defer tx.Rollback(ctx)
	var (
		session   uuid.UUID
		userID    uuid.UUID
		expiresAt time.Time
		usedAt    *time.Time
		revoked   bool
	)
	// The token and session rows are locked, so two refreshes with one
	// token, or a refresh racing a logout, are decided one after the other.
	// Both: PostgreSQL rereads only the locked rows after waiting, and a
	// stale used_at would let the second refresh through.
	err = tx.QueryRow(ctx, `
		SELECT t.session_id, s.user_id, t.expires_at, t.used_at, s.revoked_at IS NOT NULL
		FROM users.refresh_tokens t JOIN users.sessions s ON s.id = t.session_id
		WHERE t.token_hash = $1
		FOR UPDATE OF t, s`, hashToken(token)).Scan(&session, &userID, &expiresAt, &usedAt, &revoked)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return User{}, "", ErrInvalidRefresh
	case err != nil:
		return User{}, "", err
	case revoked:
		return User{}, "", ErrInvalidRefresh
	case usedAt != nil:
		if err := revoke(ctx, tx, session, "reuse"); err != nil {
			return User{}, "", err
		}
		if err := tx.Commit(ctx); err != nil {
			return User{}, "", err
		}
		return User{}, "", ErrRefreshReused
	case !time.Now().Before(expiresAt):
		return User{}, "", ErrInvalidRefresh
	}
	if _, err := tx.Exec(ctx, `UPDATE users.refresh_tokens SET used_at = now() WHERE token_hash = $1`, hashToken(token)); err != nil {
		return User{}, "", err
	}
	next, err := addToken(ctx, tx, session, ttl)
	if err != nil {
		return User{}, "", err
	}
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users.accounts WHERE id = $1`, userID))
	if err != nil {
		return User{}, "", err
	}
	return u, next, tx.Commit(ctx)
}

// EndSession revokes the session of a refresh token (sign-out); an unknown
// token is no error, so signing out twice is fine.
func (s *Store) EndSession(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE users.sessions SET revoked_at = now(), revoke_reason = 'logout'
		WHERE revoked_at IS NULL AND id = (SELECT session_id FROM users.refresh_tokens WHERE token_hash = $1)`,
		hashToken(token))
	return err
}

func revoke(ctx context.Context, tx pgx.Tx, session uuid.UUID, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE users.sessions SET revoked_at = now(), revoke_reason = $2 WHERE id = $1 AND revoked_at IS NULL`, session, reason)
	return err
}

// addToken stores a new random refresh token of the session and returns it.
// Only its hash is stored.
func addToken(ctx context.Context, tx pgx.Tx, session uuid.UUID, ttl time.Duration) (string, error) {
	token := rand.Text() // 26 base32 characters: 130 bits from crypto/rand
	_, err := tx.Exec(ctx, `INSERT INTO users.refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)`,
		hashToken(token), session, time.Now().Add(ttl))
	return token, err
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
