// Package natdp_test is the end-to-end suite of the userspace NAT datapath
// (nat/userspace): it builds real namespaces whose gateways run the
// userspace profiles and checks with real sockets that they translate,
// filter and map as configured, that the kernel is not also forwarding, that
// malformed frames are counted and dropped, that a reboot loses mappings and
// that TCP works. Needs root.
package natdp_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/kernel"
	"github.com/boxlab/boxlab/nat/userspace"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

func TestNATDatapath(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Userspace NAT datapath (end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

// catalog is the default catalog's device roles with the kernel and the
// userspace NAT profiles: the runner's catalog does not list the userspace
// ones yet.
type catalog struct {
	roles *runner.Catalog
	nat   nat.Profiles
}

func newCatalog() *catalog {
	GinkgoHelper()
	def, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	ps, err := nat.NewProfiles(kernel.Profiles(), userspace.Profiles())
	Expect(err).NotTo(HaveOccurred())
	return &catalog{roles: def, nat: ps}
}

func (c *catalog) RoleOptions(role string) (any, bool) { return c.roles.RoleOptions(role) }
func (c *catalog) Roles() []string                     { return c.roles.Roles() }
func (c *catalog) NATProfiles() []string               { return c.nat.Names() }
func (c *catalog) NATOptions(p string) (any, bool)     { return c.nat.OptionsOf(p) }

// build plans and builds a scenario; its NATs and namespaces are torn down
// when the spec (or the ordered container) ends.
func build(src string) *topology.Topology {
	GinkgoHelper()
	cat := newCatalog()
	s, err := scenario.Parse("spec.yaml", []byte(src), cat)
	Expect(err).NotTo(HaveOccurred())
	plan, err := topology.NewPlan(s)
	Expect(err).NotTo(HaveOccurred())
	topo, err := topology.Build(context.Background(), plan, topology.Options{Speed: s.Speed, Profiles: cat.nat})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		_, err := topo.Close()
		Expect(err).NotTo(HaveOccurred())
	})
	// Topology.Close does not stop NATs; the datapath's sockets would hold
	// the gateway namespaces open. Registered last, this runs first.
	DeferCleanup(func() {
		for _, n := range topo.Nodes() {
			if n.NAT != nil {
				Expect(n.NAT.Close()).To(Succeed(), n.Name)
			}
		}
	})
	return topo
}

// dp returns the userspace datapath of a gateway.
func dp(topo *topology.Topology, gw string) *userspace.NAT {
	GinkgoHelper()
	n := topo.Node(gw)
	Expect(n).NotTo(BeNil(), gw)
	g, ok := n.NAT.(*userspace.NAT)
	Expect(ok).To(BeTrue(), "%s runs the userspace datapath", gw)
	return g
}

// listen opens a UDP socket on port in node's namespace.
func listen(topo *topology.Topology, node string, port int) *net.UDPConn {
	GinkgoHelper()
	n := topo.Node(node)
	Expect(n).NotTo(BeNil(), "node %s", node)
	c, err := n.NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { c.Close() })
	return c
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

func addrOf(topo *topology.Topology, node string) netip.Addr {
	return topo.Node(node).Addr().Addr()
}
