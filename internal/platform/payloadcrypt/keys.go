// Package payloadcrypt encrypts Temporal payloads (workflow and activity
// inputs and results, signals, updates, queries, memos, heartbeat and
// failure details) with AES-256-GCM, so that customers' data in a history
// is unreadable to whoever reads the history without the keys: the
// cluster's operators, the Web UI, the CLI. It is a converter.PayloadCodec;
// the keys are in the format of PAYLOAD_ENCRYPTION_KEYS.
package payloadcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// New makes a codec of "kid:key[,kid:key...]", each key 32 random bytes in
// standard base64 (`openssl rand -base64 32`). The first key encrypts;
// every key decrypts what it encrypted. No error quotes key material.
func New(spec string) (*Codec, error) {
	c := &Codec{keys: map[string]cipher.AEAD{}}
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("no key: want kid:base64-key[,kid:base64-key...]")
	}
	for i, entry := range strings.Split(spec, ",") {
		kid, key, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok || !kidPattern.MatchString(kid) {
			return nil, fmt.Errorf("key %d: want kid:base64-key, with a kid of 1 to 64 letters, digits or ._-", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return nil, fmt.Errorf("key %q is not standard base64: make one with `openssl rand -base64 32`", kid)
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes: want %d (`openssl rand -base64 32`)", kid, len(raw), KeySize)
		}
		if _, dup := c.keys[kid]; dup {
			return nil, fmt.Errorf("key %q is listed twice", kid)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err // unreachable: the size is checked
		}
		// A random nonce per payload, prepended to it: no counter to keep
		// across processes and restarts.
		if c.keys[kid], err = cipher.NewGCMWithRandomNonce(block); err != nil {
			return nil, err
		}
		if i == 0 {
			c.current = kid
		}
	}
	return c, nil
}
