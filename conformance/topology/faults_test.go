package topology_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

const oneHome = `
name: spec
duration: 10s
topology:
  servers: [{name: srv, role: udp-echo}]
  homes:
    - count: 2
      devices: [{name: box, role: udp-echo}]
`

var _ = Describe("Faults", func() {
	var topo *topology.Topology
	var srv netip.AddrPort
	BeforeEach(func() {
		topo = build(oneHome)
		srv = netip.AddrPortFrom(addrOf(topo, "srv"), 9100)
	})

	It("link-down on a gateway's WAN cuts the home off; link-up restores it with its default route", func() {
		c := listen(topo, "srv", 9100)
		_, ok := sendUntil(topo, "home0-box0", 0, srv, c, "before")
		Expect(ok).To(BeTrue())
		gw := topo.Node("home0-gw")
		Expect(topo.SetLink(gw, topology.LinkWAN, false)).To(Succeed())
		_, ok = sendUntil(topo, "home0-box0", 0, srv, c, "during")
		Expect(ok).To(BeFalse())
		Expect(topo.SetLink(gw, topology.LinkWAN, true)).To(Succeed())
		_, ok = sendUntil(topo, "home0-box0", 0, srv, c, "after")
		Expect(ok).To(BeTrue())
	})

	It("link-down on a gateway's LAN cuts its devices off", func() {
		c := listen(topo, "srv", 9100)
		gw := topo.Node("home0-gw")
		Expect(topo.SetLink(gw, topology.LinkLAN, false)).To(Succeed())
		_, ok := sendUntil(topo, "home0-box0", 0, srv, c, "during")
		Expect(ok).To(BeFalse())
		Expect(topo.SetLink(gw, topology.LinkLAN, true)).To(Succeed())
		_, ok = sendUntil(topo, "home0-box0", 0, srv, c, "after")
		Expect(ok).To(BeTrue())
	})

	It("gateway-reboot loses every mapping: conntrack is empty and an old mapping no longer lets replies in", func() {
		c := listen(topo, "srv", 9100)
		box := listen(topo, "home0-box0", 40100)
		box.WriteToUDPAddrPort([]byte("open"), srv)
		_, mapped, ok := recv(c, 2*time.Second)
		Expect(ok).To(BeTrue())
		gw := topo.Node("home0-gw")
		Expect(conntrackCount(gw)).To(BeNumerically(">", 0))

		Expect(topo.RebootDown(gw)).To(Succeed())
		Expect(conntrackCount(gw)).To(BeZero())
		_, ok = sendUntil(topo, "home0-box0", 0, srv, c, "while down")
		Expect(ok).To(BeFalse(), "a rebooting gateway forwards nothing")
		Expect(topo.RebootUp(gw)).To(Succeed())

		c.WriteToUDPAddrPort([]byte("to the old mapping"), mapped)
		_, _, ok = recv(box, 300*time.Millisecond)
		Expect(ok).To(BeFalse(), "state was lost with the reboot")
		_, ok = sendUntil(topo, "home0-box0", 0, srv, c, "after")
		Expect(ok).To(BeTrue(), "the home works again after the reboot")
	})

	It("wan-change gives the gateway a new WAN address, seen by the server", func() {
		c := listen(topo, "srv", 9100)
		gw := topo.Node("home0-gw")
		old := gw.Addr()
		from, ok := sendUntil(topo, "home0-box0", 0, srv, c, "before")
		Expect(ok).To(BeTrue())
		Expect(from.Addr()).To(Equal(old.Addr()))

		np, err := topo.ChangeWAN(gw)
		Expect(err).NotTo(HaveOccurred())
		Expect(np).NotTo(Equal(old))
		Expect(np.Addr()).NotTo(Equal(addrOf(topo, "home1-gw")))
		Expect(gw.Addr()).To(Equal(np))
		Expect(topo.PublicAddr("home0-box0")).To(Equal(np.Addr()))
		from, ok = sendUntil(topo, "home0-box0", 0, srv, c, "after")
		Expect(ok).To(BeTrue())
		Expect(from.Addr()).To(Equal(np.Addr()))
	})
})

func conntrackCount(n *topology.Live) int {
	GinkgoHelper()
	h, err := n.NS.Netlink()
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	flows, err := h.ConntrackTableList(netlink.ConntrackTable, netlink.FAMILY_V4)
	Expect(err).NotTo(HaveOccurred())
	return len(flows)
}

var _ = Describe("Double NAT behind an ISP CGNAT", func() {
	It("puts the gateway's WAN in 100.64.0.0/10 and shows the server the ISP's address", func() {
		topo := build(`
name: spec
duration: 10s
topology:
  servers: [{name: srv, role: udp-echo}]
  isps: [{name: isp1}]
  homes:
    - {count: 2, isp: isp1, devices: [{name: box, role: udp-echo}]}
`)
		Expect(netip.MustParsePrefix("100.64.0.0/10").Contains(addrOf(topo, "home1-gw"))).To(BeTrue())
		c := listen(topo, "srv", 9200)
		from, ok := sendUntil(topo, "home1-box0", 0, netip.AddrPortFrom(addrOf(topo, "srv"), 9200), c, "double")
		Expect(ok).To(BeTrue())
		Expect(from.Addr()).To(Equal(addrOf(topo, "isp1")))
		Expect(topo.PublicAddr("home1-box0")).To(Equal(addrOf(topo, "isp1")))
	})
})

var _ = Describe("More homes than one bridge has ports", func() {
	It("builds 1100 homes over several core bridges and the last home reaches the server", func() {
		topo := build(`
name: spec
duration: 10s
topology:
  servers: [{name: srv, role: udp-echo}]
  homes: [{count: 1100, devices: [{name: box, role: udp-echo}]}]
`)
		Expect(len(topo.Node("core").Down)).To(BeNumerically(">=", 3), "servers bridge plus two WAN bridges")
		c := listen(topo, "srv", 9300)
		from, ok := sendUntil(topo, "home1099-box0", 0, netip.AddrPortFrom(addrOf(topo, "srv"), 9300), c, "far")
		Expect(ok).To(BeTrue())
		Expect(from.Addr()).To(Equal(addrOf(topo, "home1099-gw")))
	})
})

var _ = Describe("Device faults through the runner", func() {
	It("device-crash stops a device's traffic and restarts it after `for`", func() {
		cat, err := runner.DefaultCatalog()
		Expect(err).NotTo(HaveOccurred())
		s, err := scenario.Parse("crash.yaml", []byte(`
name: crash
duration: 6s
speed: 2
topology:
  servers: [{name: srv, role: udp-echo}]
  homes:
    - devices: [{name: pinger, role: udp-pinger, options: {server: srv, interval: 100ms}}]
timeline:
  - {name: crash, at: 2s, do: device-crash, on: "home[0].pinger", for: 2s}
assertions:
  - count(device.start) == 3
  - count(echo.request) == 0 between 2300ms and 3900ms
  - count(echo.request) > 5 before 2s
  - count(echo.request) > 5 after 4200ms
`), cat)
		Expect(err).NotTo(HaveOccurred())
		out, err := os.MkdirTemp("", "boxlab-crash-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, out)
		rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Timeline).To(HaveLen(1))
		Expect(rep.Timeline[0].Error).To(BeEmpty())
		Expect(rep.Timeline[0].Nodes).To(Equal(1))
		for _, a := range rep.Assertions {
			Expect(a.Pass).To(BeTrue(), fmt.Sprintf("%s: measured %s, expected %s %s", a.Expr, a.Measured, a.Expected, a.Detail))
		}
	})
})
