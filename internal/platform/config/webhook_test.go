package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Outgoing webhooks reach public addresses only unless
// WEBHOOK_ALLOWED_NETWORKS names a network (internal/platform/safehttp).
func TestWebhookAllowedNetworks(t *testing.T) {
	if got := Defaults[NotificationsWorker]().WebhookAllowedNetworks; len(got) != 0 {
		t.Fatalf("the default allows %v; want nothing private allowed", got)
	}
	c, err := Load[NotificationsWorker](lookup(map[string]string{"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8, ::1/128,10.1.2.3"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Prefixes{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.1.2.3/32")}
	if !reflect.DeepEqual(c.WebhookAllowedNetworks, want) {
		t.Fatalf("got %v, want %v", c.WebhookAllowedNetworks, want)
	}
	if _, err := Load[NotificationsWorker](lookup(map[string]string{"WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"})); err == nil ||
		!strings.Contains(err.Error(), "WEBHOOK_ALLOWED_NETWORKS") {
		t.Fatalf("want an error naming WEBHOOK_ALLOWED_NETWORKS, got %v", err)
	}
	// What dev and the tests hand the worker comes back as it was.
	stack := Defaults[Stack]()
	stack.WebhookAllowedNetworks = want[:2]
	got, err := From[NotificationsWorker](stack)
	if err != nil || !reflect.DeepEqual(got.WebhookAllowedNetworks, want[:2]) {
		t.Fatalf("through Environ: %v, %v", got.WebhookAllowedNetworks, err)
	}
}

// WEBHOOK_SIGNING_SECRET is a Standard Webhooks secret, or the role refuses
// to start, naming the setting and never showing the value.
func TestWebhookSigningSecret(t *testing.T) {
	if _, err := Load[NotificationsWorker](lookup(nil)); err != nil {
		t.Fatalf("the development default is refused: %v", err)
	}
	for _, bad := range []string{"whsec_sandbox", "s3cret-hex-0123456789abcdef", "whsec_c2hvcnQ="} {
		_, err := Load[NotificationsWorker](lookup(map[string]string{"WEBHOOK_SIGNING_SECRET": bad}))
		if err == nil || !strings.Contains(err.Error(), "WEBHOOK_SIGNING_SECRET") {
			t.Errorf("%q: want an error naming WEBHOOK_SIGNING_SECRET, got %v", bad, err)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("%q: the error shows the secret: %v", bad, err)
		}
	}
}
