package discover

import (
	"net"
	"net/netip"

	"github.com/boxlab/boxlab/sim/ns"
)

// NSDialer returns a dial func for Probe that opens UDP sockets inside the
// namespace n (a LAN node's), bound to local with a fresh port. An invalid
// local binds to the unspecified IPv4 address; the report can then compare
// ports only to tell whether a NAT is in the path.
func NSDialer(n *ns.NS, local netip.Addr) func() (net.PacketConn, error) {
	return func() (net.PacketConn, error) {
		if !local.IsValid() {
			return n.ListenUDP("udp4", &net.UDPAddr{})
		}
		network := "udp4"
		if local.Is6() && !local.Is4In6() {
			network = "udp6"
		}
		return n.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	}
}
