package safehttp

import (
	"net/netip"
)

// Policy is which addresses requests may reach: every public one, and the
// others (Classify) in the networks Allowed names. The zero Policy allows
// public addresses only.
type Policy struct {
	// Allowed are networks reached although they are not public: the local
	// stack's sandbox on loopback, a receiver on the company's own network.
	// An IPv4 prefix also allows the IPv4-mapped IPv6 forms of its addresses.
	Allowed []netip.Prefix
	// Subject names what the requests go to, in errors; "target" when
	// empty. The webhook sender's is "webhook target".
	Subject string
	// Setting names the configuration that holds Allowed, in errors, so an
	// operator knows what to change; "the allow list" when empty.
	Setting string
}

// allows reports whether addr may be reached, and if not, why.
func (p Policy) allows(addr netip.Addr) (bool, Range) {
	r := Classify(addr)
	if r == Public {
		return true, r
	}
	unmapped := addr.Unmap().WithZone("")
	for _, network := range p.Allowed {
		if network.Contains(unmapped) || network.Contains(addr.WithZone("")) {
			return true, r
		}
	}
	return false, r
}

// refuse is the error for a target that is refused for what it is,
// before any address.
func (p Policy) refuse(target, reason string) *RefusedError {
	return &RefusedError{Subject: p.subject(), Target: target, Reason: reason, Setting: p.setting()}
}

// checkAddr refuses addr (reached as host, when a name was dialed) when the
// policy does not allow it. target is how the error shows it.
func (p Policy) checkAddr(host string, addr netip.Addr, target string) error {
	ok, r := p.allows(addr)
	if ok {
		return nil
	}
	if host != "" && host != addr.String() {
		target = host + " (" + target + ")"
	}
	return &RefusedError{Subject: p.subject(), Target: target, Range: r, Setting: p.setting()}
}

func (p Policy) subject() string {
	if p.Subject == "" {
		return "target"
	}
	return p.Subject
}

func (p Policy) setting() string {
	if p.Setting == "" {
		return "the allow list"
	}
	return p.Setting
}

// LoopbackNetworks are 127.0.0.0/8 and ::1/128: what the local stack and
// the tests allow, their receivers (the sandbox's, httptest servers) being
// on loopback. Production allows no such thing.
func LoopbackNetworks() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
