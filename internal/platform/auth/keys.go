// Package auth issues and verifies the API's access tokens: short-lived JWTs
// signed with Ed25519 (EdDSA) by github.com/golang-jwt/jwt/v5, and the HTTP
// middleware that turns a bearer token into the caller's identity and role.
package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// Keys are the signing keys, by key ID ("kid"). The first one signs new
// tokens; every one verifies. To rotate, put a new key first and keep the
// old one after it until the tokens it signed have expired (AccessTokenTTL):
// nobody is signed out.
type Keys struct {
	signing string
	private map[string]ed25519.PrivateKey
	order   []string
	// verified spares a token seen before its signature check.
	verified verifiedTokens
}

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseKeys reads "kid:seed[,kid:seed...]", where each seed is 32 random
// bytes in standard base64 (`openssl rand -base64 32`). The key material is
// never put in an error message.
func ParseKeys(spec string) (*Keys, error) {
	k := &Keys{private: map[string]ed25519.PrivateKey{}}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		kid, seed, ok := strings.Cut(entry, ":")
		if !ok || !kidPattern.MatchString(kid) {
			return nil, fmt.Errorf("JWT key %d: want kid:base64-seed, with a kid of 1 to 64 letters, digits or ._-", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(seed)
		if err != nil || len(raw) != ed25519.SeedSize {
			return nil, fmt.Errorf("JWT key %q: the seed must be %d bytes in standard base64", kid, ed25519.SeedSize)
		}
		if _, dup := k.private[kid]; dup {
			return nil, fmt.Errorf("JWT key %q is listed twice", kid)
		}
		k.private[kid] = ed25519.NewKeyFromSeed(raw)
		k.order = append(k.order, kid)
	}
	k.signing = k.order[0]
	return k, nil
}

// SigningKeyID is the kid new tokens are signed with.
func (k *Keys) SigningKeyID() string { return k.signing }

// JWK is one public key in JSON Web Key form (RFC 8037).
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv"`
	X         string `json:"x"`
	KeyID     string `json:"kid"`
	Algorithm string `json:"alg"`
	Use       string `json:"use"`
}

// JWKS returns the public keys, so other services can verify tokens
// without holding a secret.
func (k *Keys) JWKS() []JWK {
	out := make([]JWK, 0, len(k.order))
	for _, kid := range k.order {
		pub := k.private[kid].Public().(ed25519.PublicKey)
		out = append(out, JWK{KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub),
			KeyID: kid, Algorithm: "EdDSA", Use: "sig"})
	}
	return out
}
