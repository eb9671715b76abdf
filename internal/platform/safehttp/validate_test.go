package safehttp

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for url, want := range map[string]string{
		"http://10.0.0.5/hook":             "webhook target 10.0.0.5:80 is a private address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"https://10.0.0.5/hook":            "webhook target 10.0.0.5:443 is a private address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://169.254.169.254/latest/":   "webhook target 169.254.169.254:80 is a cloud metadata address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://[::ffff:127.0.0.1]:8080/":  "webhook target [::ffff:127.0.0.1]:8080 is a loopback address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://[fd00:ec2::254]/":          "webhook target [fd00:ec2::254]:80 is a cloud metadata address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://[fe80::1%25eth0]:9000/":    "webhook target [fe80::1%eth0]:9000 is a link-local address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://100.64.1.1/":               "webhook target 100.64.1.1:80 is a shared (carrier-grade NAT) address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"http://localhost:8080/hook":       "webhook target localhost (", // what it resolves to follows
		"ftp://example.com/hook":           "webhook target ftp://example.com/hook is not an http or https URL",
		"http:///hook":                     "webhook target http:///hook has no host",
		"/relative":                        "webhook target /relative is not an http or https URL",
		"http://a b.example/":              `webhook target "http://a b.example/" is not a URL`,
		"https://user:secret@10.0.0.5/":    "webhook target 10.0.0.5:443 is a private address; allow it with WEBHOOK_ALLOWED_NETWORKS",
		"gopher://user:secret@example.com": "webhook target gopher://user:xxxxx@example.com is not an http or https URL",
	} {
		err := hookPolicy.CheckURL(ctx, url)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("%s: want a *RefusedError, got %v", url, err)
			continue
		}
		if got := refused.Error(); got != want && (want[len(want)-1] != '(' || len(got) < len(want) || got[:len(want)] != want) {
			t.Errorf("%s:\n got %s\nwant %s", url, got, want)
		}
	}
	for _, url := range []string{"https://203.0.113.9/hook", "http://[2001:db8::1]:8443/", "https://8.8.8.8"} {
		if err := hookPolicy.CheckURL(ctx, url); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
	allowed := Policy{Allowed: LoopbackNetworks()}
	for _, url := range []string{"http://127.0.0.1:4010/hooks/acme", "http://localhost:4010/hooks/acme", "http://[::1]/"} {
		if err := allowed.CheckURL(ctx, url); err != nil {
			t.Errorf("%s with loopback allowed: %v", url, err)
		}
	}
	if err := (Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}).CheckURL(ctx, "http://10.9.9.9/"); err != nil {
		t.Errorf("allowed network: %v", err)
	}
}
