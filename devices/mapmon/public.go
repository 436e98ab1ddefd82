package mapmon

import "net/netip"

// shared is RFC 6598 shared address space, what carrier-grade NATs number
// their customers' WAN sides from.
var shared = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether a is a global unicast address outside private
// (RFC 1918) and shared (RFC 6598) space: an external endpoint the IGD
// reports on another address cannot be reached from the internet.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !shared.Contains(a)
}
