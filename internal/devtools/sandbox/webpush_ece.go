package sandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// decryptWebPush opens an RFC 8291 message (the aes128gcm content coding of
// RFC 8188) as the browser does, with the subscription's private key and
// auth secret. No module the proxy serves decrypts (webpush-go only
// encrypts), so this is the RFCs' steps with the standard library.
//
// The body is a header, salt (16) || rs (4) || idlen (1) || keyid (idlen),
// whose keyid is the sender's one-time public key, then records of rs
// bytes, each sealed with AES-128-GCM. Web Push sends one record.
func decryptWebPush(body []byte, ua *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("shorter than the aes128gcm header")
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idLen {
		return nil, errors.New("shorter than its header says")
	}
	asPublic, records := body[21:21+idLen], body[21+idLen:]
	if rs < 18 {
		return nil, fmt.Errorf("record size %d is under the minimum of 18", rs)
	}
	if len(records) == 0 || len(records) > int(rs) {
		return nil, fmt.Errorf("want one record of at most %d bytes, got %d bytes", rs, len(records))
	}

	// RFC 8291 section 3.3: the shared secret, mixed with the auth secret
	// and both public keys, is the input keying material.
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("the keyid is not a P-256 public key: %w", err)
	}
	shared, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	keyInfo := append(append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, string(keyInfo), 32)
	if err != nil {
		return nil, err
	}
	// RFC 8188 section 2.2 and 2.3: the content key and the nonce (the
	// first record's: its sequence number, 0, leaves it as derived).
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, records, nil)
	if err != nil {
		return nil, errors.New("the record does not decrypt with the subscription's keys")
	}
	// The last record ends with the delimiter 2, then zeros of padding.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("the record has no last-record delimiter")
	}
	return plain[:end], nil
}
