package safehttp

import "net/netip"

// Range is a kind of address that requests chosen from outside must not
// reach; "" is a public address.
type Range string

// The ranges Classify knows. netip's predicates cover most of them; the
// others are prefixes of their own below.
const (
	Public      Range = ""
	Unspecified Range = "unspecified"    // 0.0.0.0/8, ::
	Loopback    Range = "loopback"       // 127.0.0.0/8, ::1
	Private     Range = "private"        // RFC 1918 10/8, 172.16/12, 192.168/16; IPv6 ULA fc00::/7
	LinkLocal   Range = "link-local"     // 169.254.0.0/16, fe80::/10
	Metadata    Range = "cloud metadata" // 169.254.169.254, fd00:ec2::254
	Multicast   Range = "multicast"      // 224.0.0.0/4, ff00::/8
	SharedNAT   Range = "shared (carrier-grade NAT)"
	Reserved    Range = "reserved" // IETF protocol assignments, benchmarking, 240/4, broadcast; 6to4, Teredo
)

var (
	// The instance metadata services of AWS, GCP, Azure and others answer
	// at 169.254.169.254 (link-local anyway) and, on AWS, at fd00:ec2::254
	// (a ULA); they are named apart so that a refusal says what it stopped.
	metadataAddrs = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}
	// "This network" (RFC 1122): Linux connects 0.0.0.0 to the host itself.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// RFC 6598 shared address space: the provider's side of a carrier-grade
	// NAT, and where some clouds put internal services (Alibaba's metadata
	// at 100.100.100.200), so not the public Internet.
	sharedNAT = netip.MustParsePrefix("100.64.0.0/10")
	// RFC 6052 NAT64 well-known prefix: on an IPv6-only cluster with DNS64,
	// 64:ff9b::10.0.0.5 is translated to 10.0.0.5. The prefix must only
	// carry public IPv4 addresses, so the embedded one is classified.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// Not on the Internet either (RFC 6890's special-purpose registry):
	// IETF protocol assignments, benchmarking networks, the reserved 240/4
	// with the limited broadcast address in it, the local-use NAT64 prefix,
	// and the 6to4 and Teredo tunnels, which carry an IPv4 address of any
	// kind inside.
	reserved = []netip.Prefix{
		netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
		netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("2002::/16"), netip.MustParsePrefix("2001::/32"),
	}
)

// Classify returns the range addr falls in, Public for an address on the
// Internet. An IPv4-mapped IPv6 address (::ffff:10.0.0.5) is the IPv4
// address it maps: the kernel connects to that one.
func Classify(addr netip.Addr) Range {
	if !addr.IsValid() {
		return Unspecified
	}
	addr = addr.Unmap().WithZone("")
	if nat64.Contains(addr) {
		embedded := addr.As16()
		return Classify(netip.AddrFrom4([4]byte(embedded[12:])))
	}
	for _, m := range metadataAddrs {
		if addr == m {
			return Metadata
		}
	}
	switch {
	case addr.IsUnspecified() || thisNetwork.Contains(addr):
		return Unspecified
	case addr.IsLoopback():
		return Loopback
	case addr.IsPrivate():
		return Private
	case addr.IsLinkLocalUnicast():
		return LinkLocal
	case addr.IsMulticast():
		return Multicast
	case sharedNAT.Contains(addr):
		return SharedNAT
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return Reserved
		}
	}
	return Public
}
