package config

import (
	"fmt"

	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

// PayloadEncryption is the keys of every Temporal payload (inputs, results,
// signals, updates, queries, memos, failures): every role that dials
// Temporal reads them, the api's codec server too.
type PayloadEncryption struct {
	// PayloadEncryptionKeys is "kid:key[,kid:key]", each key 32 random
	// bytes in base64; the first encrypts, every one decrypts. A key
	// removed while a history still holds payloads it encrypted leaves
	// those payloads unreadable for good: keep a retired key until every
	// history that used it is past the namespace's retention. The default
	// is the development key, which production refuses.
	PayloadEncryptionKeys string `env:"PAYLOAD_ENCRYPTION_KEYS" envDefault:"dev-1:NMtm2w8IL4CobaXGJRcrtpXJQU4x5IgiDK8Ks2qdync=" public:"default"`
}

// Validate parses the keys, without quoting them.
func (c PayloadEncryption) Validate() error {
	if _, err := payloadcrypt.New(c.PayloadEncryptionKeys); err != nil {
		return fmt.Errorf("PAYLOAD_ENCRYPTION_KEYS: %w", err)
	}
	return nil
}

// CodecServer is who may call the api's codec server (/codec) from a
// browser: the Temporal Web UI, which decodes payloads through it.
type CodecServer struct {
	// TemporalUIOrigins are the Web UI's browser origins; never "*", "none"
	// allows none (an empty value is the default, the local Web UI's).
	TemporalUIOrigins Origins `env:"TEMPORAL_UI_ORIGINS" envDefault:"http://127.0.0.1:8233,http://localhost:8233"`
}
