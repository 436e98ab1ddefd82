// Package lab holds what every end-to-end suite needs to build a topology
// from scenario text and talk through it with real sockets: Build tears the
// topology down when the spec ends, pass or fail; Listen, Send, Recv and
// SendUntil open UDP sockets inside node namespaces with bounded waits.
// For a device under test: StartDevice runs a role by hand in a node (its
// events into a Recorder), StartProgram runs a program there as the `exec`
// role does (BoxlabBinary builds `boxlab` for `boxlab device ROLE`,
// UnderTest picks a vendor's command line from an environment variable),
// and RuleReport prints one PASS/FAIL line per rule.
package lab

import (
	"context"
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// Build plans and builds a scenario given as YAML with the default catalog.
func Build(src string) *topology.Topology {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	return BuildWith(cat, src)
}

// BuildWith is Build with a given catalog.
func BuildWith(cat *runner.Catalog, src string) *topology.Topology {
	GinkgoHelper()
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

// Listen opens a UDP socket on port in node's namespace, closed at the end of the spec.
func Listen(topo *topology.Topology, node string, port int) *net.UDPConn {
	GinkgoHelper()
	n := topo.Node(node)
	Expect(n).NotTo(BeNil(), "node %s", node)
	c, err := n.NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { c.Close() }) // a spec may close it first
	return c
}

// Send sends one datagram from node (bound to port, 0 = any) to dst.
func Send(topo *topology.Topology, node string, port int, dst netip.AddrPort, msg string) error {
	c, err := topo.Node(node).NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WriteToUDPAddrPort([]byte(msg), dst)
	return err
}

// Recv waits up to d for a datagram on c and returns its text and source.
func Recv(c *net.UDPConn, d time.Duration) (string, netip.AddrPort, bool) {
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(d))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return "", netip.AddrPort{}, false
	}
	return string(buf[:n]), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), true
}

// SendUntil resends msg every 100 ms until c receives it (ARP and routes may
// take a moment) or 5 s pass; it returns the source address seen.
func SendUntil(topo *topology.Topology, node string, port int, dst netip.AddrPort, c *net.UDPConn, msg string) (netip.AddrPort, bool) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		Send(topo, node, port, dst, msg)
		if got, from, ok := Recv(c, 100*time.Millisecond); ok && got == msg {
			return from, true
		}
	}
	return netip.AddrPort{}, false
}

// Addr is a node's current uplink address.
func Addr(topo *topology.Topology, node string) netip.Addr {
	return topo.Node(node).Addr().Addr()
}
