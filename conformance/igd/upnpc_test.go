package igd_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/igd"
)

// Debian's upnpc (miniupnpc 2.2.x) against our IGD: discovery over SSDP,
// status, add, list, delete; what it adds forwards end to end.
var _ = DescribeTable("Real peer: upnpc discovers the IGD and maps ports that forward (issue 6, real peers)",
	func(profile string, version int) {
		o := *igd.DefaultOptions()
		o.Version = version
		l := newLab(profile, o)
		box := addrOf(l.topo, "home0-box0").String()

		out := l.upnpc("home0-box0", "-s")
		Expect(out).To(ContainSubstring("Found valid IGD"))
		Expect(out).To(ContainSubstring("ExternalIPAddress = " + l.wan().String()))

		out = l.upnpc("home0-box0", "-e", "spec", "-a", box, "42000", "42000", "UDP", "3600")
		Expect(out).To(ContainSubstring("is redirected to internal " + box + ":42000"))
		Expect(l.inbound("home0-box0", 42000, netip.AddrPortFrom(l.wan(), 42000))).To(BeTrue(), "the mapping upnpc made forwards")

		out = l.upnpc("home0-box0", "-l")
		Expect(out).To(MatchRegexp(`UDP\s+42000->` + box + `:42000\s+'spec'`))

		By("a second host asking for the same port is refused with 718")
		out = l.upnpc("home0-pc0", "-a", addrOf(l.topo, "home0-pc0").String(), "42000", "42000", "UDP", "3600")
		Expect(out).To(ContainSubstring("718"))

		out = l.upnpc("home0-box0", "-d", "42000", "UDP")
		Expect(out).NotTo(ContainSubstring("failed"))
		Expect(l.igd).NotTo(BeNil())
		_, code := l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "42000", "NewProtocol", "UDP")
		Expect(code).To(Equal(714), "deleted")
	},
	Entry("IGD:2 on the kernel NAT (linux)", "linux", 2),
	Entry("IGD:1 on the userspace NAT (port-restricted-cone)", "port-restricted-cone", 1),
)

// upnpc's IGD:2 commands: AddAnyPortMapping (-n), GetListOfPortMappings
// (-L) and DeletePortMappingRange (-N).
var _ = It("Real peer: upnpc uses the IGD:2 actions AddAnyPortMapping, GetListOfPortMappings, DeletePortMappingRange", func() {
	l := newLab("linux", *igd.DefaultOptions())
	box := addrOf(l.topo, "home0-box0").String()
	out := l.upnpc("home0-box0", "-n", box, "46000", "46000", "TCP", "600")
	Expect(out).NotTo(ContainSubstring("failed"))
	out = l.upnpc("home0-box0", "-n", box, "46001", "46000", "TCP", "600")
	Expect(out).NotTo(ContainSubstring("failed"))
	out = l.upnpc("home0-box0", "-L")
	Expect(out).To(MatchRegexp(`TCP\s+46000->` + box + `:46000`))
	Expect(out).To(MatchRegexp(`TCP\s+46001->`+box+`:46001 .* [56]\d\d`), "AddAnyPortMapping moved it to another port; the lease is listed")
	out = l.upnpc("home0-box0", "-N", "46000", "46001", "TCP", "1")
	Expect(out).NotTo(ContainSubstring("failed"))
	_, code := l.soap("home0-box0", 1, "GetGenericPortMappingEntry", "NewPortMappingIndex", "0")
	Expect(code).To(Equal(713), "the range is gone")
})
