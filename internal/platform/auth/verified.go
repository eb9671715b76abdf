package auth

import (
	"sync"
	"time"
)

// maxVerified bounds the verified tokens a process remembers: a replica's
// signed-in users over one access-token lifetime, with room to spare.
const maxVerified = 50_000

// verifiedTokens remembers the tokens Verify accepted, until they expire.
// The Ed25519 check is most of the CPU an authenticated read costs, and a
// client sends the same token with every request for its whole life (a
// dashboard tab, a load generator). Only tokens we signed get in, so the
// tokens in use bound its size; when full, it is emptied.
type verifiedTokens struct {
	mu      sync.Mutex
	byToken map[string]verifiedToken
}

// verifiedToken is a principal and the times its token is good between,
// as Verify checks them (without the clock skew it allows).
type verifiedToken struct {
	principal          Principal
	notBefore, expires time.Time
}

func (v *verifiedTokens) lookup(token string, now time.Time) (Principal, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.byToken[token]
	if !ok || now.Add(clockSkew).Before(t.notBefore) || !now.Before(t.expires.Add(clockSkew)) {
		return Principal{}, false // Verify decides, and says why
	}
	return t.principal, true
}

func (v *verifiedTokens) add(token string, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byToken == nil {
		v.byToken = map[string]verifiedToken{}
	}
	if len(v.byToken) >= maxVerified {
		// Start over: the tokens still in use are verified again once
		// each, and no add ever scans the map under the lock that every
		// request takes.
		clear(v.byToken)
	}
	v.byToken[token] = t
}
