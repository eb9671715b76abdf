package config

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Web Push (RFC 8030) signs every message with the application server's
// VAPID key pair (RFC 8292): a browser subscribes with its public half (the
// api hands it out), and its push service takes messages for that
// subscription only when they are signed with the private half. The
// defaults are a development pair, public since it is committed here, which
// production refuses (RefuseDevelopmentKey): it sets both halves, from its secret store
// and together, to any P-256 key pair in base64url (`npx web-push
// generate-vapid-keys` makes one). Changing the pair later strands every
// subscription made with the old public key: the push services refuse its
// messages (403) until the browser subscribes again.

// WebPushKey is the public half: the api gives it to browsers to subscribe
// with, and the notifications worker names it in every message's VAPID
// authorization.
type WebPushKey struct {
	// VAPIDPublicKey is the uncompressed P-256 point (65 bytes), base64url,
	// as PushManager.subscribe's applicationServerKey takes it.
	VAPIDPublicKey string `env:"VAPID_PUBLIC_KEY" envDefault:"BGujrMR9WsVXX_brL9Kvfh4pMloVFi41BgLovUHNExkBXkTx7R8bE3lxYS_BTTeMWwRAUhOda-pWh3LZ1GEc-qI"`
}

// Validate checks the key is a P-256 point.
func (c WebPushKey) Validate() error {
	if _, err := ecdh.P256().NewPublicKey(decodeVAPID(c.VAPIDPublicKey)); err != nil {
		return errors.New("VAPID_PUBLIC_KEY: want an uncompressed P-256 public key (65 bytes) in base64url")
	}
	return nil
}

// RefuseDevelopmentKey fails in production on the development key, whose
// private half is committed here: anyone could sign pushes to the browsers
// subscribed with it. The api and the notifications worker ask when they
// start. (The private key needs no check of its own: the worker requires it
// to be this key's private half.) Load does not ask, as RefusePublicDefaults
// does of the settings tagged public:"default": only the roles that use the
// key refuse it.
func (c WebPushKey) RefuseDevelopmentKey(e Environment) error {
	if e.Production() && strings.TrimRight(strings.TrimSpace(c.VAPIDPublicKey), "=") == Defaults[WebPushKey]().VAPIDPublicKey {
		return errors.New("VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set in production, without the development pair: that one is public")
	}
	return nil
}

// WebPushSigning is the private half, and who the push services' operators
// reach about our messages: the notifications worker's only.
type WebPushSigning struct {
	// VAPIDPrivateKey is the P-256 private scalar (32 bytes), base64url;
	// it must be the private half of VAPID_PUBLIC_KEY (checked when the
	// worker starts).
	VAPIDPrivateKey string `env:"VAPID_PRIVATE_KEY" envDefault:"09bQetuUBuQeT9JS8KrpOcjITlP-P5Qe6AET2MUfzdU"`
	// VAPIDSubject is the VAPID JWT's "sub": a mailto: or https: URL.
	VAPIDSubject string `env:"VAPID_SUBJECT" envDefault:"mailto:push@orderflow.local"`
}

// Validate checks the key is a P-256 private key and the subject a contact.
func (c WebPushSigning) Validate() error {
	var errs []error
	if _, err := ecdh.P256().NewPrivateKey(decodeVAPID(c.VAPIDPrivateKey)); err != nil {
		errs = append(errs, errors.New("VAPID_PRIVATE_KEY: want a P-256 private key (32 bytes) in base64url"))
	}
	u, err := url.Parse(c.VAPIDSubject)
	if err != nil || !(u.Scheme == "mailto" && u.Opaque != "" || u.Scheme == "https" && u.Host != "") {
		errs = append(errs, fmt.Errorf("VAPID_SUBJECT=%q: want a mailto: or https: URL the push services can reach you at", c.VAPIDSubject))
	}
	return errors.Join(errs...)
}

// NewVAPIDKeys returns a new key pair, in the settings' encoding: what
// `orderflow dev` runs with, unless its environment names one.
func NewVAPIDKeys() (public, private string) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(key.Bytes())
}

// decodeVAPID reads base64url, with or without its padding; nil if it is
// not base64url.
func decodeVAPID(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
	if err != nil {
		return nil
	}
	return b
}
