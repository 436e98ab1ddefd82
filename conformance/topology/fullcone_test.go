package topology_test

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The kernel NAT profiles, measured rather than assumed: filtering decides
// whether a host that was never contacted reaches an open mapping.
var _ = DescribeTable("Kernel NAT filtering of an unsolicited datagram to an open mapping",
	func(profile string, admitted bool) {
		topo := build(`
name: spec
duration: 10s
topology:
  servers: [{name: s1, role: udp-echo}, {name: s2, role: udp-echo}]
  homes: [{nat: ` + profile + `, devices: [{name: box, role: udp-echo}]}]
`)
		s1 := listen(topo, "s1", 9500)
		box := listen(topo, "home0-box0", 40500)
		box.WriteToUDPAddrPort([]byte("open"), netip.AddrPortFrom(addrOf(topo, "s1"), 9500))
		_, mapped, ok := recv(s1, 2*time.Second)
		Expect(ok).To(BeTrue())
		Expect(mapped.Addr()).To(Equal(addrOf(topo, "home0-gw")))

		// s2 never heard from the box: only endpoint-independent filtering lets it in.
		send(topo, "s2", 9501, mapped, "unsolicited")
		msg, from, got := recv(box, time.Second)
		Expect(got).To(Equal(admitted))
		if admitted {
			Expect(msg).To(Equal("unsolicited"))
			Expect(from.Addr()).To(Equal(addrOf(topo, "s2")), "the remote's address is not rewritten")
			// and the box's reply goes back out through the same mapping
			box.WriteToUDPAddrPort([]byte("reply"), from)
			s2 := listen(topo, "s2", 9502)
			box.WriteToUDPAddrPort([]byte("to s2"), netip.AddrPortFrom(addrOf(topo, "s2"), 9502))
			_, seen, ok := recv(s2, 2*time.Second)
			Expect(ok).To(BeTrue())
			Expect(seen).To(Equal(mapped), "endpoint-independent mapping: same external endpoint for a new destination")
		}
	},
	Entry("linux (masquerade) refuses it: address-and-port-dependent filtering", "linux", false),
	Entry("linux-random refuses it", "linux-random", false),
	Entry("linux-fullcone admits it: endpoint-independent filtering", "linux-fullcone", true),
)
