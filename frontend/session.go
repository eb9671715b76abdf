package frontend

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// session is one signed-in browser, as the dashboard's server keeps it:
// the user's tokens never leave it. The browser holds only the session's
// ID, in an HttpOnly cookie, and the CSRF token it sends back with every
// request that changes something.
type session struct {
	AccessToken   string    `json:"access_token"`
	AccessExpires time.Time `json:"access_expires"`
	RefreshToken  string    `json:"refresh_token"`
	// User is the account as the API last answered it, passed to the page
	// as is.
	User json.RawMessage `json:"user"`
	CSRF string          `json:"csrf"`
}

// sessionIdleTimeout ends a session nobody used for this long. Each use
// that refreshes its tokens renews it; the API's refresh token
// (REFRESH_TOKEN_TTL) ends it sooner when shorter.
const sessionIdleTimeout = 7 * 24 * time.Hour

// sessions keeps sessions in Redis, so that every replica of the frontend
// serves every browser and a restart signs nobody out. Keys are hashes of
// the session IDs: what Redis holds cannot be replayed as a cookie.
type sessions struct {
	rdb *redis.Client
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "frontend:session:" + hex.EncodeToString(sum[:])
}

// refreshLockKey serializes one session's refreshes across replicas: the
// API revokes a whole session whose refresh token is used twice.
func refreshLockKey(id string) string { return sessionKey(id) + ":refreshing" }

// randomToken is 32 random bytes, hex-encoded: session IDs and CSRF tokens.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// errNoSession is a cookie whose session has ended or never was.
var errNoSession = errors.New("no such session")

func (s sessions) create(ctx context.Context, sess session) (string, error) {
	id := randomToken()
	return id, s.put(ctx, id, sess)
}

func (s sessions) put(ctx context.Context, id string, sess session) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	return s.rdb.Set(ctx, sessionKey(id), b, sessionIdleTimeout).Err()
}

func (s sessions) get(ctx context.Context, id string) (session, error) {
	var sess session
	b, err := s.rdb.Get(ctx, sessionKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return sess, errNoSession
	}
	if err != nil {
		return sess, err
	}
	return sess, json.Unmarshal(b, &sess)
}

func (s sessions) delete(ctx context.Context, id string) error {
	return s.rdb.Del(ctx, sessionKey(id)).Err()
}

// lockRefresh takes the session's refresh lock for at most ttl, as owner
// (a random token of the holder's); false when another request holds it.
func (s sessions) lockRefresh(ctx context.Context, id, owner string, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, refreshLockKey(id), owner, ttl).Result()
}

// unlock deletes the lock only if owner still holds it: a holder whose
// lock expired must not take the next holder's away.
var unlock = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

func (s sessions) unlockRefresh(ctx context.Context, id, owner string) error {
	return unlock.Run(ctx, s.rdb, []string{refreshLockKey(id)}, owner).Err()
}
