package scenario

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// scalarDecoder is implemented by model types written as one YAML scalar.
// decodeScalar's error text is the whole message after the field name.
type scalarDecoder interface {
	decodeScalar(s string) error
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

func (d *Duration) decodeScalar(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || !hasUnit(s) {
		return fmt.Errorf("want a duration with a unit like 30s or 1m30s; got %q", s)
	}
	if v < 0 {
		return fmt.Errorf("want a duration >= 0; got %q", s)
	}
	*d = Duration(v)
	return nil
}

// hasUnit reports whether s ends in a letter, which time.ParseDuration
// requires of everything except a bare "0".
func hasUnit(s string) bool {
	return s != "" && strings.ContainsAny(s[len(s)-1:], "nsuµmh")
}

func (p *Prefix) decodeScalar(s string) error {
	v, err := netip.ParsePrefix(s)
	if err != nil || !v.Addr().Is4() {
		return fmt.Errorf("want an IPv4 prefix like 192.168.1.0/24; got %q", s)
	}
	if v.Masked() != v {
		return fmt.Errorf("%s is not a network address; want %s", s, v.Masked())
	}
	p.Prefix = v
	return nil
}

func (s *Selector) decodeScalar(src string) error {
	sel, err := ParseSelector(src)
	if err != nil {
		return err
	}
	*s = sel
	return nil
}
