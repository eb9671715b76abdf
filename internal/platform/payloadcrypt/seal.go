package payloadcrypt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Seal encrypts a secret kept outside Temporal (a signing secret in a
// database column) with the current key, as "<kid>:<base64>": whoever reads
// the table without the keys cannot sign as the platform. The same keys
// encrypt the histories, and retire the same way.
func (c *Codec) Seal(secret string) string {
	return c.current + ":" + base64.StdEncoding.EncodeToString(c.keys[c.current].Seal(nil, nil, []byte(secret), nil))
}

// Open decrypts what Seal made, with the key it names.
func (c *Codec) Open(sealed string) (string, error) {
	kid, data, ok := strings.Cut(sealed, ":")
	if !ok || !kidPattern.MatchString(kid) {
		return "", errors.New("payloadcrypt: not a sealed secret (kid:base64)")
	}
	aead, known := c.keys[kid]
	if !known {
		return "", fmt.Errorf("payloadcrypt: the secret was sealed with key %q, which is not among the keys (PAYLOAD_ENCRYPTION_KEYS)", kid)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", errors.New("payloadcrypt: not a sealed secret (kid:base64)")
	}
	plain, err := aead.Open(nil, nil, raw, nil)
	if err != nil {
		return "", fmt.Errorf("payloadcrypt: the secret sealed with key %q does not decrypt: it was altered, or another key has that ID", kid)
	}
	return string(plain), nil
}
