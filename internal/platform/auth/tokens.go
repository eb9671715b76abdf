package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// What every token names, and every verification checks.
const (
	Issuer   = "orderflow"
	Audience = "orderflow-api"
)

// Roles a token may carry.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
)

// maxTokenLength bounds the work a forged token can cause; ours are about 400 bytes.
const maxTokenLength = 4096

// clockSkew is how far apart the clocks of the API replicas may be.
const clockSkew = 30 * time.Second

// Principal is who calls: the user and their role.
type Principal struct {
	UserID string
	Role   string
}

// IsAdmin reports whether the principal is an admin.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

type claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// ErrExpired means the token was good but is too old: the client should
// refresh it.
var ErrExpired = errors.New("the access token has expired")

// Issue signs an access token for p, valid for ttl from now.
func (k *Keys) Issue(p Principal, now time.Time, ttl time.Duration) (string, error) {
	c := claims{Role: p.Role, RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   p.UserID,
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		ID:        uuid.Must(uuid.NewV7()).String(),
	}}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = k.signing
	return t.SignedString(k.private[k.signing])
}

// Verify checks a token's signature, algorithm (EdDSA only: never "none",
// never an HMAC keyed with a public key), key ID, issuer, audience and times,
// and returns its principal. An expired token's error is ErrExpired.
func (k *Keys) Verify(token string, now time.Time) (Principal, error) {
	if len(token) > maxTokenLength {
		return Principal{}, errors.New("the access token is too long")
	}
	if p, ok := k.verified.lookup(token, now); ok {
		return p, nil
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, k.verificationKey,
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, ErrExpired
	case err != nil:
		return Principal{}, err
	}
	if _, err := uuid.Parse(c.Subject); err != nil {
		return Principal{}, errors.New("the token's subject is not a user ID")
	}
	if c.Role != RoleCustomer && c.Role != RoleAdmin {
		return Principal{}, fmt.Errorf("the token's role %q is not one of ours", c.Role)
	}
	p := Principal{UserID: c.Subject, Role: c.Role}
	// The token is good from its iat and nbf, whichever is later, to its
	// exp (required, so present).
	var notBefore time.Time
	for _, t := range []*jwt.NumericDate{c.IssuedAt, c.NotBefore} {
		if t != nil && t.After(notBefore) {
			notBefore = t.Time
		}
	}
	k.verified.add(token, verifiedToken{principal: p, notBefore: notBefore, expires: c.ExpiresAt.Time})
	return p, nil
}

func (k *Keys) verificationKey(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	key, ok := k.private[kid]
	if !ok {
		return nil, errors.New("the token's key ID is not one of ours")
	}
	return key.Public(), nil
}
