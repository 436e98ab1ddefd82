// Package natdp_test is the end-to-end suite of the userspace NAT datapath
// (nat/userspace): it builds real namespaces whose gateways run the
// userspace profiles and checks with real sockets that they translate,
// filter and map as configured, that the kernel is not also forwarding, that
// malformed frames are counted and dropped, that a reboot loses mappings and
// that TCP works. Needs root.
package natdp_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"

	"github.com/boxlab/boxlab/nat/userspace"
	"github.com/boxlab/boxlab/sim/topology"
)

func TestNATDatapath(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Userspace NAT datapath (end to end)")
}

var _ = BeforeSuite(lab.RequireRoot)

// The shared helpers; Topology.Close stops the NATs before the namespaces.
var (
	build  = lab.Build
	listen = lab.Listen
	recv   = lab.Recv
	addrOf = lab.Addr
)

// dp returns the userspace datapath of a gateway.
func dp(topo *topology.Topology, gw string) *userspace.NAT {
	GinkgoHelper()
	n := topo.Node(gw)
	Expect(n).NotTo(BeNil(), gw)
	g, ok := n.NAT.(*userspace.NAT)
	Expect(ok).To(BeTrue(), "%s runs the userspace datapath", gw)
	return g
}

// sendUntil resends msg from c every 100 ms until to receives it or 5 s pass;
// it returns the source the receiver saw.
func sendUntil(c *net.UDPConn, dst netip.AddrPort, to *net.UDPConn, msg string) (netip.AddrPort, bool) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.WriteToUDPAddrPort([]byte(msg), dst)
		if got, from, ok := recv(to, 100*time.Millisecond); ok && got == msg {
			return from, true
		}
	}
	return netip.AddrPort{}, false
}
