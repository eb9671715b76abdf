package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/orderflow/orderflow/internal/platform/auth"
)

const (
	seedA = "DOFjWr+Z3ZAbEJCy0EXHjTCKufyfU0I+2Lzsn+0xgJM="
	seedB = "n0Jp5KQ3cpBqzC5wNfJ2d1mYq4bS8uVw9xE7aT6hLk0="
)

func mustKeys(t testing.TB, spec string) *auth.Keys {
	t.Helper()
	k, err := auth.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var customer = auth.Principal{UserID: uuid.NewString(), Role: auth.RoleCustomer}

func TestIssuedTokensVerify(t *testing.T) {
	k := mustKeys(t, "k1:"+seedA)
	now := time.Now()
	tok, err := k.Issue(customer, now, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Verify(tok, now.Add(14*time.Minute))
	if err != nil || got != customer {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, customer)
	}
}

// rawToken signs claims with key as method, for tokens Issue would never make.
func rawToken(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": auth.Issuer, "aud": auth.Audience, "sub": customer.UserID, "role": customer.Role,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
}

func privateKey(seed string) ed25519.PrivateKey {
	raw, _ := base64.StdEncoding.DecodeString(seed)
	return ed25519.NewKeyFromSeed(raw)
}

func TestVerifyRefuses(t *testing.T) {
	k := mustKeys(t, "k1:"+seedA)
	now := time.Now()
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		edit(c)
		return c
	}
	expired, _ := k.Issue(customer, now.Add(-time.Hour), 15*time.Minute)
	otherKey, _ := mustKeys(t, "k1:"+seedB).Issue(customer, now, time.Minute)
	pub := privateKey(seedA).Public().(ed25519.PublicKey)
	none := rawToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", validClaims(now))

	for name, tok := range map[string]string{
		"expired":                     expired,
		"other key":                   otherKey,
		"alg none":                    none,
		"alg none, no signature part": strings.TrimSuffix(none, "."),
		// The public key used as an HMAC secret: the classic algorithm confusion.
		"HS256 with the public key": rawToken(t, jwt.SigningMethodHS256, []byte(pub), "k1", validClaims(now)),
		"other audience":            rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { c["aud"] = "someone-else" })),
		"other issuer":              rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"no expiry":                 rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { delete(c, "exp") })),
		"issued later":              rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })),
		"unknown kid":               rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k9", validClaims(now)),
		"no kid":                    rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "", validClaims(now)),
		"unknown role":              rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { c["role"] = "root" })),
		"subject no user":           rawToken(t, jwt.SigningMethodEdDSA, privateKey(seedA), "k1", with(func(c jwt.MapClaims) { c["sub"] = "" })),
		"garbage":                   "not.a.token",
		"too long":                  strings.Repeat("a", 5000),
	} {
		if p, err := k.Verify(tok, now); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
	if _, err := k.Verify(expired, now); err != auth.ErrExpired {
		t.Errorf("expired token: %v, want ErrExpired so clients know to refresh", err)
	}
}

// Rotation: a new key signs, the old one still verifies what it signed, and
// dropping the old key ends its tokens.
func TestKeyRotation(t *testing.T) {
	now := time.Now()
	old := mustKeys(t, "2026-10:"+seedA)
	oldToken, _ := old.Issue(customer, now, time.Minute)

	rotated := mustKeys(t, "2026-11:"+seedB+", 2026-10:"+seedA)
	if rotated.SigningKeyID() != "2026-11" {
		t.Fatalf("signing kid %q, want the first key", rotated.SigningKeyID())
	}
	if _, err := rotated.Verify(oldToken, now); err != nil {
		t.Fatalf("a token of the previous key is refused after the rotation: %v", err)
	}
	newToken, _ := rotated.Issue(customer, now, time.Minute)
	if _, err := old.Verify(newToken, now); err == nil {
		t.Fatal("the old key set accepts a token of a key it does not have")
	}
	if _, err := mustKeys(t, "2026-11:"+seedB).Verify(oldToken, now); err == nil {
		t.Fatal("a retired key's token still verifies")
	}
	if jwks := rotated.JWKS(); len(jwks) != 2 || jwks[0].KeyID != "2026-11" || jwks[0].Algorithm != "EdDSA" {
		t.Fatalf("JWKS = %+v", jwks)
	}
}

func TestParseKeysRefusesBadSpecs(t *testing.T) {
	for _, spec := range []string{"", "k1", "k1:", "k1:c2hvcnQ=", "k 1:" + seedA, "k1:" + seedA + ",k1:" + seedB, "k1:!!!"} {
		if _, err := auth.ParseKeys(spec); err == nil {
			t.Errorf("ParseKeys(%q) accepted", spec)
		} else if strings.Contains(err.Error(), seedA) {
			t.Errorf("ParseKeys(%q) error shows the key material: %v", spec, err)
		}
	}
}
