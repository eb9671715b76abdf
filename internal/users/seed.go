package users

import (
	"context"
	"errors"
)

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
