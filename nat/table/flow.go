package table

import "net/netip"

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// unicast4 says whether a may be a host's address on either side.
func unicast4(a netip.Addr) bool {
	return a.Is4() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLoopback() && a != broadcast4
}

// checkFlow returns why f cannot be a packet at all, or "".
func checkFlow(f Flow) string {
	switch f.Proto {
	case ICMP, TCP, UDP:
	default:
		return ReasonBadProto
	}
	if !unicast4(f.Src.Addr()) || !unicast4(f.Dst.Addr()) {
		return ReasonBadAddr
	}
	if f.Proto != ICMP && (f.Src.Port() == 0 || f.Dst.Port() == 0) {
		return ReasonBadPort
	}
	if f.Proto == TCP && f.Flags&SYN != 0 && f.Flags&(RST|FIN) != 0 {
		return ReasonBadFlags
	}
	return ""
}

// peerKey is how a remote endpoint is remembered by a filter: an echo
// identifier is not a port, so ICMP remotes are addresses only.
func peerKey(p Proto, r netip.AddrPort) netip.AddrPort {
	if p == ICMP {
		return netip.AddrPortFrom(r.Addr(), 0)
	}
	return r
}

// mappingKey is what a new mapping depends on besides the internal endpoint
// (RFC 4787 REQ-1).
func (t *Table) mappingKey(p Proto, internal, remote netip.AddrPort) intKey {
	k := intKey{proto: p, internal: internal}
	switch t.b.Mapping {
	case AddressDependent:
		k.remote = netip.AddrPortFrom(remote.Addr(), 0)
	case AddressPortDependent:
		k.remote = peerKey(p, remote)
	}
	return k
}

// withPort returns ap with its port replaced.
func withPort(ap netip.AddrPort, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr(), port)
}
