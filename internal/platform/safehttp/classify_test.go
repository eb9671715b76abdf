package safehttp

import (
	"net/netip"
	"testing"
)

// Every range Classify refuses, its edges, and their IPv4-mapped forms.
func TestClassify(t *testing.T) {
	for addr, want := range map[string]Range{
		"0.0.0.0":          Unspecified,
		"0.1.2.3":          Unspecified,
		"::":               Unspecified,
		"127.0.0.1":        Loopback,
		"127.255.255.254":  Loopback,
		"::1":              Loopback,
		"10.0.0.5":         Private,
		"172.16.0.1":       Private,
		"172.31.255.255":   Private,
		"192.168.1.1":      Private,
		"fc00::1":          Private,
		"fd12:3456::1":     Private,
		"169.254.0.1":      LinkLocal,
		"fe80::1":          LinkLocal,
		"fe80::1%eth0":     LinkLocal,
		"169.254.169.254":  Metadata,
		"fd00:ec2::254":    Metadata,
		"224.0.0.1":        Multicast,
		"239.255.255.250":  Multicast,
		"ff02::1":          Multicast,
		"ff0e::1":          Multicast,
		"100.64.0.1":       SharedNAT,
		"100.127.255.254":  SharedNAT,
		"100.100.100.200":  SharedNAT,
		"192.0.0.8":        Reserved,
		"198.18.0.1":       Reserved,
		"240.0.0.1":        Reserved,
		"255.255.255.255":  Reserved,
		"2002:a00:5::1":    Reserved, // 6to4 of 10.0.0.5
		"2001:0:a00::1":    Reserved, // Teredo
		"64:ff9b:1::a00:5": Reserved,

		// IPv4-mapped IPv6: the kernel connects to the IPv4 address.
		"::ffff:127.0.0.1":       Loopback,
		"::ffff:10.0.0.5":        Private,
		"::ffff:169.254.169.254": Metadata,
		"::ffff:100.64.0.1":      SharedNAT,
		"::ffff:0.0.0.0":         Unspecified,
		"::ffff:8.8.8.8":         Public,
		// NAT64 carries the IPv4 address it embeds.
		"64:ff9b::10.0.0.5": Private,
		"64:ff9b::8.8.8.8":  Public,

		// Just outside the ranges, and the Internet.
		"8.8.8.8":              Public,
		"1.1.1.1":              Public,
		"172.15.255.255":       Public,
		"172.32.0.0":           Public,
		"100.63.255.255":       Public,
		"100.128.0.0":          Public,
		"169.253.255.255":      Public,
		"11.0.0.1":             Public,
		"2001:4860:4860::8888": Public,
		"fe00::1":              Public,
	} {
		if got := Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := Classify(netip.Addr{}); got != Unspecified {
		t.Errorf("the zero Addr is %q, want it refused", got)
	}
}

func TestPolicyAllowsOnlyItsNetworks(t *testing.T) {
	p := Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}}
	for addr, want := range map[string]bool{
		"8.8.8.8":         true, // public: always
		"10.1.2.3":        true,
		"::ffff:10.1.2.3": true, // an IPv4 prefix allows the mapped form
		"10.2.0.1":        false,
		"::1":             true,
		"127.0.0.1":       false,
		"169.254.169.254": false,
	} {
		if got, _ := p.allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("allows(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestRefusedErrorSaysWhyAndHow(t *testing.T) {
	p := Policy{Subject: "webhook target", Setting: "WEBHOOK_ALLOWED_NETWORKS"}
	for _, tc := range []struct{ host, addr, target, want string }{
		{"", "10.0.0.5", "10.0.0.5:80", "webhook target 10.0.0.5:80 is a private address; allow it with WEBHOOK_ALLOWED_NETWORKS"},
		{"internal.example", "169.254.169.254", "169.254.169.254:80",
			"webhook target internal.example (169.254.169.254:80) is a cloud metadata address; allow it with WEBHOOK_ALLOWED_NETWORKS"},
		{"", "::", "[::]:443", "webhook target [::]:443 is an unspecified address; allow it with WEBHOOK_ALLOWED_NETWORKS"},
	} {
		err := p.checkAddr(tc.host, netip.MustParseAddr(tc.addr), tc.target)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
	if err := (Policy{}).checkAddr("", netip.MustParseAddr("127.0.0.1"), "127.0.0.1:80"); err == nil ||
		err.Error() != "target 127.0.0.1:80 is a loopback address; allow it with the allow list" {
		t.Errorf("the zero Policy's error: %v", err)
	}
}
