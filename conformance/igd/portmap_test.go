package igd_test

import (
	"errors"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/topology"
)

func homeWith(profile string) *topology.Topology {
	return build(`
name: spec
duration: 10s
topology:
  servers: [{name: s1, role: udp-echo}]
  homes: [{nat: ` + profile + `, devices: [{name: box, role: udp-echo}, {name: pc, role: udp-echo}]}]
`)
}

func mapperOf(topo *topology.Topology) nat.PortMapper {
	GinkgoHelper()
	pm, ok := topo.Node("home0-gw").NAT.(nat.PortMapper)
	Expect(ok).To(BeTrue(), "the gateway's NAT is a nat.PortMapper")
	return pm
}

// reaches says whether a datagram from s1 to the gateway's WAN port lands on c.
func reaches(topo *topology.Topology, ext netip.AddrPort, c interface {
	SetReadDeadline(time.Time) error
}, got func() (string, bool), msg string) bool {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		send(topo, "s1", 9600, ext, msg)
		if m, ok := got(); ok && m == msg {
			return true
		}
	}
	return false
}

var _ = DescribeTable("A static port mapping forwards inbound traffic to the LAN host (seed 003, nat.PortMapper)",
	func(profile string) {
		topo := homeWith(profile)
		pm := mapperOf(topo)
		gw := addrOf(topo, "home0-gw")
		Expect(pm.ExternalAddr()).To(Equal(gw))
		box := listen(topo, "home0-box0", 41000)
		got, err := pm.AddPortMapping(nat.PortMapping{Proto: "udp", External: netip.AddrPortFrom(netip.Addr{}, 41000),
			Internal: netip.AddrPortFrom(addrOf(topo, "home0-box0"), 41000), Lifetime: time.Hour})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.External).To(Equal(netip.AddrPortFrom(gw, 41000)))
		rx := func() (string, bool) { m, _, ok := recv(box, 100*time.Millisecond); return m, ok }
		Expect(reaches(topo, got.External, box, rx, "in")).To(BeTrue(), "unsolicited datagram through the mapping")

		By("another host asking for the same external port gets a conflict (UPnP 718)")
		_, err = pm.AddPortMapping(nat.PortMapping{Proto: "udp", External: netip.AddrPortFrom(netip.Addr{}, 41000),
			Internal: netip.AddrPortFrom(addrOf(topo, "home0-pc0"), 41000)})
		Expect(errors.Is(err, nat.ErrPortConflict)).To(BeTrue(), "got %v", err)

		Expect(pm.PortMappings()).To(HaveLen(1))
		Expect(pm.PortMappings()[0].Lifetime).To(BeNumerically(">", 50*time.Minute))

		By("after delete, a new flow no longer passes")
		Expect(pm.DeletePortMapping("udp", 41000)).To(Succeed())
		Expect(errors.Is(pm.DeletePortMapping("udp", 41000), nat.ErrNoPortMapping)).To(BeTrue())
		Expect(pm.PortMappings()).To(BeEmpty())
		box2 := listen(topo, "home0-box0", 41001)
		_, err = pm.AddPortMapping(nat.PortMapping{Proto: "udp", External: netip.AddrPortFrom(netip.Addr{}, 41001),
			Internal: netip.AddrPortFrom(addrOf(topo, "home0-box0"), 41001), Lifetime: time.Hour})
		Expect(err).NotTo(HaveOccurred())
		Expect(pm.DeletePortMapping("udp", 41001)).To(Succeed())
		rx2 := func() (string, bool) { m, _, ok := recv(box2, 100*time.Millisecond); return m, ok }
		send(topo, "s1", 9601, netip.AddrPortFrom(gw, 41001), "late")
		_, ok := rx2()
		Expect(ok).To(BeFalse())

		By("Reset (a reboot) loses every mapping")
		_, err = pm.AddPortMapping(nat.PortMapping{Proto: "tcp", Internal: netip.AddrPortFrom(addrOf(topo, "home0-box0"), 8080)})
		Expect(err).NotTo(HaveOccurred())
		Expect(topo.Node("home0-gw").NAT.Reset()).To(Succeed())
		Expect(pm.PortMappings()).To(BeEmpty())
	},
	Entry("kernel masquerade (linux)", "linux"),
	Entry("kernel full cone (linux-fullcone)", "linux-fullcone"),
	Entry("userspace port-restricted cone", "port-restricted-cone"),
	Entry("userspace symmetric", "symmetric"),
)
