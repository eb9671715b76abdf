package users

import (
	"context"
	"errors"
)

// CreateFirstAdmin creates a as an admin unless an admin account exists
// already: the bootstrap admin of a new installation. Once there is one, a
// changed ADMIN_EMAIL or an admin who changed their email does not bring
// another admin into being. It reports whether it created one.
func (s *Store) CreateFirstAdmin(ctx context.Context, a NewAccount) (bool, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users.accounts WHERE role = 'admin')`).Scan(&exists); err != nil || exists {
		return false, err
	}
	a.Role = RoleAdmin
	return s.Ensure(ctx, a)
}

// Ensure creates the account unless one with its email exists already, which
// is left as it is (its password may have been changed since). It reports
// whether it created one.
func (s *Store) Ensure(ctx context.Context, a NewAccount) (bool, error) {
	_, err := s.Create(ctx, a)
	if errors.Is(err, ErrEmailTaken) {
		return false, nil
	}
	return err == nil, err
}
