package users_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/users"
)

const password = "correct horse battery"

// newAccount creates a customer with an email of its own.
func newAccount(t *testing.T) users.User {
	t.Helper()
	u, err := users.NewStore(testPool).Create(context.Background(),
		users.NewAccount{Email: uuid.NewString() + "@Example.com", Password: password, Name: "Ada"})
	require.NoError(t, err)
	return u
}

func TestAccountsSignInByEmailAndPassword(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	u := newAccount(t)
	require.Equal(t, users.RoleCustomer, u.Role)
	require.Equal(t, users.NormalizeEmail(u.Email), u.Email, "emails are stored lower-case")
	require.Equal(t, []string{"email", "sms"}, u.Preferences.Channels)

	got, err := s.Authenticate(ctx, "  "+u.Email[:5]+u.Email[5:]+" ", password)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)

	_, err = s.Create(ctx, users.NewAccount{Email: "  " + u.Email, Password: "another password"})
	require.ErrorIs(t, err, users.ErrEmailTaken, "one address is one account, whatever its case")

	_, err = s.Authenticate(ctx, u.Email, password+"!")
	require.ErrorIs(t, err, users.ErrBadCredentials)
	_, err = s.Authenticate(ctx, "nobody-"+u.Email, password)
	require.ErrorIs(t, err, users.ErrBadCredentials, "an unknown email is the same error as a wrong password")
	_, err = s.Authenticate(ctx, "nobody-"+u.Email, "no account has this password")
	require.ErrorIs(t, err, users.ErrBadCredentials, "the dummy hash's own password signs no one in")
}

func TestRefreshTokensRotateAndReuseRevokesTheSession(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	u := newAccount(t)
	first, err := s.StartSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	who, second, err := s.Refresh(ctx, first, time.Hour)
	require.NoError(t, err)
	require.Equal(t, u.ID, who.ID)
	require.NotEqual(t, first, second)

	// A thief replays the first token: refused, and the session is over,
	// so the token the user holds (second) stops working too.
	_, _, err = s.Refresh(ctx, first, time.Hour)
	require.ErrorIs(t, err, users.ErrRefreshReused)
	_, _, err = s.Refresh(ctx, second, time.Hour)
	require.ErrorIs(t, err, users.ErrInvalidRefresh)

	// Other sessions of the same user are not touched.
	other, err := s.StartSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	_, _, err = s.Refresh(ctx, other, time.Hour)
	require.NoError(t, err)
}

func TestConcurrentRefreshesWithOneTokenLetOneThrough(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	token, err := s.StartSession(ctx, newAccount(t).ID, time.Hour)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = s.Refresh(ctx, token, time.Hour) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, users.ErrRefreshReused) {
			require.ErrorIs(t, err, users.ErrInvalidRefresh, "refused once the reuse revoked the session")
		}
	}
	require.Equal(t, 1, ok, "one token, one refresh")
}

func TestLogoutAndExpiryEndRefreshTokens(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	u := newAccount(t)
	token, err := s.StartSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.EndSession(ctx, token))
	require.NoError(t, s.EndSession(ctx, token), "signing out twice is fine")
	_, _, err = s.Refresh(ctx, token, time.Hour)
	require.ErrorIs(t, err, users.ErrInvalidRefresh)

	short, err := s.StartSession(ctx, u.ID, time.Millisecond)
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	_, _, err = s.Refresh(ctx, short, time.Hour)
	require.ErrorIs(t, err, users.ErrInvalidRefresh)
	_, _, err = s.Refresh(ctx, "never-issued", time.Hour)
	require.ErrorIs(t, err, users.ErrInvalidRefresh)

	// The next sign-in sweeps the expired token and its empty session.
	_, err = s.StartSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	var tokens, sessions int
	require.NoError(t, testPool.QueryRow(ctx, `SELECT count(*) FROM users.refresh_tokens t JOIN users.sessions s ON s.id = t.session_id WHERE s.user_id = $1`, u.ID).Scan(&tokens))
	require.NoError(t, testPool.QueryRow(ctx, `SELECT count(*) FROM users.sessions WHERE user_id = $1`, u.ID).Scan(&sessions))
	require.Equal(t, 2, tokens, "the logged-out session's token (still unexpired) and the new one")
	require.Equal(t, 2, sessions)
}

func TestUpdateChangesOnlyWhatIsSet(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	u := newAccount(t)
	phone, tz := "+15005550006", "Europe/Paris"
	quiet := &notifications.QuietHours{Start: "22:00", End: "07:00"}
	got, err := s.Update(ctx, u.ID, users.Patch{Phone: &phone, TimeZone: &tz, Channels: []string{"sms", "email"},
		SetQuietHours: true, QuietHours: quiet})
	require.NoError(t, err)
	require.Equal(t, "Ada", got.Name, "unset fields stay")
	require.Equal(t, phone, got.Phone)
	require.Equal(t, notifications.Contact{Email: u.Email, Phone: phone, Channels: []string{"sms", "email"}, TimeZone: tz, QuietHours: quiet}, got.Contact())

	got, err = s.Update(ctx, u.ID, users.Patch{SetQuietHours: true})
	require.NoError(t, err)
	require.Nil(t, got.Preferences.QuietHours, "quiet hours cleared")
	require.Equal(t, []string{"sms", "email"}, got.Preferences.Channels)

	taken := newAccount(t).Email
	_, err = s.Update(ctx, u.ID, users.Patch{Email: &taken})
	require.ErrorIs(t, err, users.ErrEmailTaken)
	_, err = s.Update(ctx, uuid.NewString(), users.Patch{Phone: &phone})
	require.ErrorIs(t, err, users.ErrNotFound)
}

// The bootstrap admin is created once per installation: not again under
// another email, and never over an existing account.
func TestCreateFirstAdminOnlyWhenThereIsNone(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	admin := users.NewAccount{Email: uuid.NewString() + "@example.com", Password: password}
	created, err := s.CreateFirstAdmin(ctx, admin)
	require.NoError(t, err)
	require.True(t, created)
	u, err := s.Authenticate(ctx, admin.Email, password)
	require.NoError(t, err)
	require.Equal(t, users.RoleAdmin, u.Role)

	again, err := s.CreateFirstAdmin(ctx, users.NewAccount{Email: uuid.NewString() + "@example.com", Password: password})
	require.NoError(t, err)
	require.False(t, again, "a second admin from a changed ADMIN_EMAIL")
}
