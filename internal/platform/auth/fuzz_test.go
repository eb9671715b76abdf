package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: no input makes Verify panic, and every token it accepts is
// checked again by hand, with the standard library only: an EdDSA header
// and an Ed25519 signature of our key over exactly its first two parts.
// Seeds are in testdata/fuzz/FuzzVerify; run
// `go test -run '^$' -fuzz FuzzVerify ./internal/platform/auth`.
func FuzzVerify(f *testing.F) {
	k := mustKeys(f, "k1:"+seedA)
	pub := privateKey(seedA).Public().(ed25519.PublicKey)
	now := time.Unix(1_800_000_000, 0)
	good, _ := k.Issue(customer, now, time.Minute)
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := k.Verify(token, now)
		if err != nil {
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted %q (%d parts) as %+v", token, len(parts), p)
		}
		var header struct {
			Alg string `json:"alg"`
		}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if json.Unmarshal(raw, &header) != nil || header.Alg != "EdDSA" || err != nil ||
			!ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatalf("accepted %q, which our key did not sign, as %+v", token, p)
		}
	})
}
