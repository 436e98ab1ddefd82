// Package topology_test is the end-to-end suite of the topology engine: it
// builds real namespaces from scenario text and checks with real sockets
// that nodes exist, are isolated, that the kernel NAT translates, that
// overlapping LAN prefixes work, that every fault does what it says, and
// that more homes than a bridge has ports still connect. Needs root.
package topology_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

func TestTopology(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Topology engine (end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

// build plans and builds a scenario given as YAML; the topology is torn down
// when the spec ends, pass or fail.
func build(src string) *topology.Topology {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse("spec.yaml", []byte(src), cat)
	Expect(err).NotTo(HaveOccurred())
	plan, err := topology.NewPlan(s)
	Expect(err).NotTo(HaveOccurred())
	topo, err := topology.Build(context.Background(), plan, topology.Options{Speed: s.Speed, Profiles: cat.NAT})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		_, err := topo.Close()
		Expect(err).NotTo(HaveOccurred())
	})
	return topo
}

// listen opens a UDP socket on port in node's namespace.
func listen(topo *topology.Topology, node string, port int) *net.UDPConn {
	GinkgoHelper()
	n := topo.Node(node)
	Expect(n).NotTo(BeNil(), "node %s", node)
	c, err := n.NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// send sends one datagram from node (bound to port, 0 = any) to dst.
func send(topo *topology.Topology, node string, port int, dst netip.AddrPort, msg string) error {
	c, err := topo.Node(node).NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WriteToUDPAddrPort([]byte(msg), dst)
	return err
}

// recv waits up to d for a datagram on c and returns its text and source.
func recv(c *net.UDPConn, d time.Duration) (string, netip.AddrPort, bool) {
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(d))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return "", netip.AddrPort{}, false
	}
	return string(buf[:n]), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), true
}

// sendUntil resends msg every 100 ms until c receives it (ARP and routes may
// take a moment) or 5 s pass; it returns the source address seen.
func sendUntil(topo *topology.Topology, node string, port int, dst netip.AddrPort, c *net.UDPConn, msg string) (netip.AddrPort, bool) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		send(topo, node, port, dst, msg)
		if got, from, ok := recv(c, 100*time.Millisecond); ok && got == msg {
			return from, true
		}
	}
	return netip.AddrPort{}, false
}

func addrOf(topo *topology.Topology, node string) netip.Addr {
	return topo.Node(node).Addr().Addr()
}

var _ = ns.Prefix // the suite uses the ns package through topology nodes
