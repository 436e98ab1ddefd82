package natdp_test

import (
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/topology"
)

// profiles are the userspace profiles, one home group each (the group name
// is a prefix of the nodes' names).
var profiles = map[string]string{
	"fc":  "full-cone",
	"rc":  "restricted-cone",
	"prc": "port-restricted-cone",
	"sym": "symmetric",
	"cg":  "cgnat",
}

func scenarioText() string {
	s := `
name: natdp
duration: 10s
topology:
  servers:
    - {name: srv, role: udp-echo}
    - {name: third, role: udp-echo}
  homes:
`
	for g, p := range profiles {
		s += fmt.Sprintf("    - {name: %s, nat: %s, devices: [{name: box, role: udp-echo}]}\n", g, p)
	}
	// a home whose datapath a spec stops
	s += "    - {name: off, nat: full-cone, devices: [{name: box, role: udp-echo}]}\n"
	// a home whose LAN side delays 60 ms (nat_options overrides)
	return s + "    - {name: slow, nat: port-restricted-cone, nat_options: {filtering: eif, lan: {delay: 60ms}}, devices: [{name: box, role: udp-echo}]}\n"
}

var _ = Describe("The userspace NAT datapath", Ordered, func() {
	var topo *topology.Topology
	srv := func(port int) netip.AddrPort { return netip.AddrPortFrom(addrOf(topo, "srv"), uint16(port)) }

	BeforeAll(func() { topo = build(scenarioText()) })

	It("translates through every userspace profile: the server sees the gateway's WAN address", func() {
		port := 9000
		for g, p := range profiles {
			port++
			s := listen(topo, "srv", port)
			box := listen(topo, g+"0-box0", 0)
			from, ok := sendUntil(box, srv(port), s, "hello "+p)
			Expect(ok).To(BeTrue(), "%s: datagram reached the server", p)
			Expect(from.Addr()).To(Equal(addrOf(topo, g+"0-gw")), p)
			Expect(dp(topo, g+"0-gw").Mappings()).NotTo(BeEmpty(), p)
		}
	})

	It("answers a reply through the mapping (RFC 4787 REQ-8: filtering lets the contacted endpoint in)", func() {
		for g, p := range profiles {
			s := listen(topo, "srv", 9010)
			box := listen(topo, g+"0-box0", 40010)
			mapped, ok := sendUntil(box, srv(9010), s, "out")
			Expect(ok).To(BeTrue(), p)
			s.WriteToUDPAddrPort([]byte("back"), mapped)
			msg, _, ok := recv(box, 2*time.Second)
			Expect(ok).To(BeTrue(), p)
			Expect(msg).To(Equal("back"), p)
			s.Close()
		}
	})

	It("full cone admits a datagram from a third host to the mapping; port-restricted cone refuses it (RFC 4787 §5)", func() {
		try := func(g string) bool {
			s := listen(topo, "srv", 9020)
			defer s.Close()
			box := listen(topo, g+"0-box0", 40020)
			mapped, ok := sendUntil(box, srv(9020), s, "open "+g)
			Expect(ok).To(BeTrue(), g)
			third := listen(topo, "third", 9021)
			defer third.Close()
			for i := 0; i < 3; i++ {
				third.WriteToUDPAddrPort([]byte("unsolicited"), mapped)
				if msg, _, ok := recv(box, 300*time.Millisecond); ok && msg == "unsolicited" {
					return true
				}
			}
			return false
		}
		Expect(try("fc")).To(BeTrue(), "full-cone: endpoint-independent filtering")
		Expect(try("prc")).To(BeFalse(), "port-restricted-cone: address-and-port-dependent filtering")
		Expect(dp(topo, "prc0-gw").Counters().Drops).To(HaveKeyWithValue("filtered", BeNumerically(">", 0)))
	})

	It("symmetric gives two destinations two different external ports (APDM, RFC 4787 §4.1)", func() {
		s1 := listen(topo, "srv", 9030)
		s2 := listen(topo, "third", 9030)
		box := listen(topo, "sym0-box0", 40030)
		f1, ok1 := sendUntil(box, srv(9030), s1, "one")
		f2, ok2 := sendUntil(box, netip.AddrPortFrom(addrOf(topo, "third"), 9030), s2, "two")
		Expect(ok1 && ok2).To(BeTrue())
		Expect(f1.Addr()).To(Equal(f2.Addr()))
		Expect(f1.Port()).NotTo(Equal(f2.Port()))
		// and full cone keeps one port for both (EIM)
		fc := listen(topo, "fc0-box0", 40030)
		g1, _ := sendUntil(fc, srv(9030), s1, "one")
		g2, _ := sendUntil(fc, netip.AddrPortFrom(addrOf(topo, "third"), 9030), s2, "two")
		Expect(g1).To(Equal(g2))
	})

	It("applies nat_options: filtering overridden to EIF, 60 ms delay on LAN egress", func() {
		s := listen(topo, "srv", 9060)
		box := listen(topo, "slow0-box0", 40060)
		mapped, ok := sendUntil(box, srv(9060), s, "open")
		Expect(ok).To(BeTrue())
		third := listen(topo, "third", 9061)
		start := time.Now()
		third.WriteToUDPAddrPort([]byte("via third"), mapped)
		msg, _, ok := recv(box, 2*time.Second)
		Expect(ok).To(BeTrue(), "endpoint-independent filtering from nat_options")
		Expect(msg).To(Equal("via third"))
		Expect(time.Since(start)).To(BeNumerically(">=", 60*time.Millisecond))
	})
})
