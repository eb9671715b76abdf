package users

import (
	"context"
	"fmt"
	"runtime"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// Password policy (NIST SP 800-63B): long rather than complicated, and
// bounded, since every byte is hashed.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength || !utf8.ValidString(password) {
		return fmt.Errorf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// HashParams are the argon2id parameters of new hashes: OWASP's
// recommendation of 19 MiB, two passes, one lane (about 30 ms on one core
// here). Verification reads the parameters from each stored hash, so raising
// them later keeps old passwords working.
var HashParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// hashSlots bounds the hashes computed at once, and so the memory a burst of
// sign-ins can take (19 MiB each); callers wait their turn.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// dummyHash is verified when no account has the email, so an unknown email
// costs the same time as a wrong password and timing names no accounts.
var dummyHash = func() string {
	h, err := argon2id.CreateHash("no account has this password", HashParams)
	if err != nil {
		panic(err)
	}
	return h
}()

// HashPassword returns the argon2id hash of password, in PHC string format.
func HashPassword(ctx context.Context, password string) (string, error) {
	if err := acquire(ctx); err != nil {
		return "", err
	}
	defer release()
	return argon2id.CreateHash(password, HashParams)
}

// verifyPassword reports whether password matches hash, in constant time.
func verifyPassword(ctx context.Context, password, hash string) (bool, error) {
	if err := acquire(ctx); err != nil {
		return false, err
	}
	defer release()
	return argon2id.ComparePasswordAndHash(password, hash)
}

// maxSlotWait bounds the wait for a hashing slot: past it the server is
// overloaded, and the caller is better told to retry than kept waiting.
const maxSlotWait = 5 * time.Second

func acquire(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, maxSlotWait)
	defer cancel()
	select {
	case hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release() { <-hashSlots }
