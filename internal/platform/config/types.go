package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// List is a comma-separated list; spaces around items and empty items are
// dropped.
type List []string

// UnmarshalText parses the list.
func (l *List) UnmarshalText(text []byte) error {
	*l = splitList(string(text))
	return nil
}

// MarshalText writes the list as UnmarshalText reads it.
func (l List) MarshalText() ([]byte, error) { return []byte(strings.Join(l, ",")), nil }

// none is how a list setting says it is empty: an empty value is unset,
// which is the default.
const none = "none"

// Prefixes are CIDRs or bare addresses (one host each), comma-separated, or
// "none".
type Prefixes []netip.Prefix

// UnmarshalText parses the prefixes.
func (p *Prefixes) UnmarshalText(text []byte) error {
	out := Prefixes{}
	if string(text) == none {
		*p = out
		return nil
	}
	for _, s := range splitList(string(text)) {
		if prefix, err := netip.ParsePrefix(s); err == nil {
			out = append(out, prefix.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is neither a CIDR nor an address: want CIDRs or addresses such as 10.0.0.0/8,::1", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	*p = out
	return nil
}

// MarshalText writes the prefixes as UnmarshalText reads them.
func (p Prefixes) MarshalText() ([]byte, error) {
	if len(p) == 0 {
		return []byte(none), nil
	}
	s := make([]string, len(p))
	for i, prefix := range p {
		s[i] = prefix.String()
	}
	return []byte(strings.Join(s, ",")), nil
}

// Origins are browser origins, scheme://host[:port] and nothing more,
// comma-separated, or "none". A wildcard would let any site read the API's answers
// with the user's credentials, so it is refused.
type Origins []string

// UnmarshalText parses the origins.
func (o *Origins) UnmarshalText(text []byte) error {
	if string(text) == none {
		*o = Origins{}
		return nil
	}
	origins := splitList(string(text))
	for _, s := range origins {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%q is not an origin such as https://dashboard.example.com (no wildcard, no path)", s)
		}
	}
	*o = origins
	return nil
}

// MarshalText writes the origins as UnmarshalText reads them.
func (o Origins) MarshalText() ([]byte, error) {
	if len(o) == 0 {
		return []byte(none), nil
	}
	return []byte(strings.Join(o, ",")), nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
