package config

import (
	"strings"
	"testing"
)

func TestVAPIDKeysAreChecked(t *testing.T) {
	public, private := NewVAPIDKeys()
	own := map[string]string{"VAPID_PUBLIC_KEY": public, "VAPID_PRIVATE_KEY": private, "VAPID_SUBJECT": "https://orderflow.example.com/contact"}
	if _, err := Load[NotificationsWorker](lookup(own)); err != nil {
		t.Fatalf("a new key pair refused: %v", err)
	}
	for name, env := range map[string]map[string]string{
		"public key not base64url":   {"VAPID_PUBLIC_KEY": "not base64!"},
		"public key not a point":     {"VAPID_PUBLIC_KEY": strings.Repeat("A", 87)},
		"private key the wrong size": {"VAPID_PRIVATE_KEY": private[:20]},
		"subject not a contact":      {"VAPID_SUBJECT": "ops@example.com"},
		"subject over http":          {"VAPID_SUBJECT": "http://orderflow.example.com"},
	} {
		_, err := Load[NotificationsWorker](lookup(env))
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), private[:20]) {
			t.Errorf("%s: the error shows the private key: %v", name, err)
		}
	}
}

func TestProductionRefusesTheDevelopmentVAPIDKey(t *testing.T) {
	public, _ := NewVAPIDKeys()
	production := Environment{Environment: Production}
	dev := Defaults[WebPushKey]()
	for name, key := range map[string]WebPushKey{"default": dev, "padded": {VAPIDPublicKey: dev.VAPIDPublicKey + "="}} {
		if err := key.RefuseDevelopmentKey(production); err == nil {
			t.Errorf("%s: the development key accepted in production", name)
		}
	}
	if err := (WebPushKey{VAPIDPublicKey: public}).RefuseDevelopmentKey(production); err != nil {
		t.Errorf("an own key refused in production: %v", err)
	}
	if err := dev.RefuseDevelopmentKey(Defaults[Environment]()); err != nil {
		t.Errorf("the development key refused in development: %v", err)
	}
}
