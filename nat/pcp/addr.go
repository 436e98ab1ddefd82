package pcp

import "net/netip"

// putAddr writes a as the 16-byte field PCP uses for every address: an
// IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 6887 §5); an invalid
// address as all zeros.
func putAddr(b []byte, a netip.Addr) {
	if !a.IsValid() {
		clear(b[:16])
		return
	}
	s := a.As16() // an IPv4 address comes out IPv4-mapped
	copy(b, s[:])
}

// getAddr reads a 16-byte address field: IPv4-mapped addresses come back
// as plain IPv4 (Unmap), others as IPv6.
func getAddr(b []byte) netip.Addr {
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}

// AnyV4 is ::ffff:0.0.0.0 unmapped: "no preference, IPv4" in a suggested
// external address (RFC 6887 §11.1).
var AnyV4 = netip.IPv4Unspecified()

// IsAny says whether a suggested address expresses no preference: all
// zeros (::) or the IPv4-mapped 0.0.0.0.
func IsAny(a netip.Addr) bool { return !a.IsValid() || a.IsUnspecified() }
