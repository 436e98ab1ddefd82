package igd_test

import (
	"context"
	"net/netip"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/igd"
)

// Our UPnP device side against a real IGD's UPnP (issue 6 "Real peers":
// do not special-case ours): igd.Client and the upnp-mapper role against
// Debian's miniupnpd started as an exec IGD (testdata/miniupnpd-igd.sh).
var _ = Describe("Real peer: our UPnP client against Debian's miniupnpd", func() {
	BeforeEach(func() {
		if _, err := exec.LookPath("miniupnpd"); err != nil {
			Skip("miniupnpd not installed (Debian package miniupnpd-nftables)")
		}
	})

	It("igd.Client discovers it, maps UDP and TCP, renews, walks past a 718 and deletes; the mappings forward", func() {
		l := newHome("linux", igd.Options{})
		l.startExec("sh " + testdata("miniupnpd-igd.sh"))
		ctx := context.Background()
		box, pc := addrOf(l.topo, boxN), addrOf(l.topo, pcN)
		c := igd.NewClient(l.topo.Node(boxN).NS)
		Expect(c.Discover(ctx, 3*time.Second)).To(Succeed())
		Expect(c.Control).To(Equal(l.ctl))
		Expect(c.Service).To(HavePrefix("urn:schemas-upnp-org:service:WANIPConnection:"))

		ext, err := c.Map(ctx, "udp", netip.AddrPortFrom(box, 46200), 46200, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(ext).To(Equal(netip.AddrPortFrom(l.wan(), 46200)))
		Expect(l.inboundFrom(9200, boxN, 46200, ext)).To(BeTrue(), "the UDP mapping forwards")

		By("a renewal (the same AddPortMapping again) keeps the port and refreshes the lease")
		ext2, err := c.Map(ctx, "udp", netip.AddrPortFrom(box, 46200), 46200, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(ext2).To(Equal(ext))
		out, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "46200", "NewProtocol", "UDP")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(0))
		Expect(out["NewLeaseDuration"]).To(MatchRegexp(`^(5\d|60)$`))

		By("TCP: a connection from the internet reaches the LAN host")
		ln, err := l.topo.Node(boxN).NS.Listen("tcp4", ":46201")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		tcp, err := c.Map(ctx, "tcp", netip.AddrPortFrom(box, 46201), 46201, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.connectFrom("s1", tcp, ln)).To(Succeed())

		By("another host asking for the taken UDP port gets 718 and the client takes the next one")
		other := igd.NewClient(l.topo.Node(pcN).NS)
		Expect(other.Discover(ctx, 3*time.Second)).To(Succeed())
		moved, err := other.Map(ctx, "udp", netip.AddrPortFrom(pc, 46200), 46200, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(moved.Port()).To(BeNumerically(">", 46200))
		Expect(l.inboundFrom(9201, pcN, 46200, moved)).To(BeTrue())

		By("Delete: the mapping is gone and a new flow no longer passes")
		Expect(c.Delete(ctx, "udp", 46200)).To(Succeed())
		_, code, err = l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "46200", "NewProtocol", "UDP")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(714))
		Expect(l.passes(9202, boxN, 46200, ext)).To(BeFalse())
	})

	// The whole loop with a real IGD: miniupnpd as the gateway's exec role,
	// two upnp-mapper devices (UDP and TCP probes) and a mapmon. A WAN change
	// leaves miniupnpd's rules in place (no -d in its DNAT) but the devices'
	// reported address stale: the monitor sees both fail and both remapped.
	It("upnp-mapper maps, renews, is remapped after a WAN change and deletes at the end, with UDP and TCP probes", func() {
		rep := lab.RunText("mapper-miniupnpd", `
name: mapper-miniupnpd
speed: 3
duration: 30s
pools: {public: `+publicPool+`}
topology:
  servers: [{name: mon, role: mapmon, options: {check: 3s, timeout: 1s}}]
  homes:
    - name: home
      nat: linux
      gateway_role: exec
      gateway_options:
        command: [sh, `+testdata("miniupnpd-igd.sh")+`]
        env: {BOXLAB_WAN_IF: wan0, BOXLAB_LAN_IF: lan0, BOXLAB_LAN_PREFIX: 192.168.1.0/24, BOXLAB_STATE_DIR: `+GinkgoT().TempDir()+`}
      devices:
        - {name: u, role: upnp-mapper, options: {monitor: mon, lease: 30s, report: 1s}}
        - {name: t, role: upnp-mapper, options: {monitor: mon, port: 7100, probe: tcp, lease: 30s, report: 1s}}
timeline:
  - {name: renumber, at: 18s, do: wan-change, on: "home[0]"}
assertions:
  - {name: both devices mapped through miniupnpd, expect: "count(mapmon.reported) == 2"}
  - {name: both renewed at half the lease before the change, expect: "count(igd.client.mapped) >= 4 before 18s"}
  - {name: every probe valid before the change, expect: "count(mapmon.invalid) == 0 before 18s"}
  - {name: the stale address was detected for both, expect: "count(mapmon.failure_detected) == 2"}
  - {name: both remapped, expect: "count(mapmon.remapped) == 2"}
  - {name: valid again within a check period of the remap, expect: "max(mapmon.remapped.recovery) <= 6s"}
  - {name: "each device valid again within 2 checks + timeouts + report + remap of the change", expect: "recovery(mapmon.probe.valid) <= 10s"}
  - {name: both deleted their mapping at the end, expect: "count(igd.client.unmapped) == 2"}
`)
		lab.ExpectPass(rep)
	})
})
