package topology_test

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/sim/topology"
)

const twoGroups = `
name: spec
duration: 10s
topology:
  servers:
    - {name: srv, role: udp-echo}
  homes:
    - name: a
      count: 2
      devices: [{name: box, role: udp-echo, count: 2}]
    - name: b
      count: 1
      lan: 10.9.0.0/24
      devices: [{name: box, role: udp-echo}]
`

var _ = Describe("A built topology", Ordered, func() {
	var topo *topology.Topology
	srvPort := func(p int) netip.AddrPort { return netip.AddrPortFrom(addrOf(topo, "srv"), uint16(p)) }

	BeforeAll(func() { topo = build(twoGroups) })

	It("has every node of the plan with its addresses and default route", func() {
		Expect(topo.Nodes()).To(HaveLen(1 + 1 + 3 + 5))
		for _, n := range topo.Nodes() {
			h, err := n.NS.Netlink()
			Expect(err).NotTo(HaveOccurred())
			links, err := h.LinkList()
			Expect(err).NotTo(HaveOccurred())
			for _, l := range links {
				Expect(l.Attrs().OperState).NotTo(Equal(netlink.OperDown), "%s %s", n.Name, l.Attrs().Name)
			}
			if n.Kind != topology.Core {
				addrs, err := h.AddrList(nil, netlink.FAMILY_V4)
				Expect(err).NotTo(HaveOccurred())
				var got []string
				for _, a := range addrs {
					got = append(got, a.IPNet.String())
				}
				Expect(got).To(ContainElement(n.Addr().String()), n.Name)
				routes, err := h.RouteList(nil, netlink.FAMILY_V4)
				Expect(err).NotTo(HaveOccurred())
				Expect(routes).To(ContainElement(Satisfy(isDefault)), "%s has a default route", n.Name)
			}
			h.Close()
		}
	})

	It("gives every home the same LAN prefix unless a group overrides it (overlapping prefixes)", func() {
		Expect(addrOf(topo, "a0-box0")).To(Equal(netip.MustParseAddr("192.168.1.100")))
		Expect(addrOf(topo, "a1-box0")).To(Equal(netip.MustParseAddr("192.168.1.100")))
		Expect(addrOf(topo, "b0-box0")).To(Equal(netip.MustParseAddr("10.9.0.100")))
	})

	It("sets forwarding, rp_filter, bridge-nf-call-iptables and IPv6 explicitly in every namespace", func() {
		for _, n := range topo.Nodes() {
			fw, err := n.NS.ReadSysctl("net/ipv4/ip_forward")
			Expect(err).NotTo(HaveOccurred())
			want := "0"
			if n.Kind == topology.Core || n.Kind == topology.Gateway || n.Kind == topology.ISP {
				want = "1"
			}
			Expect(fw).To(Equal(want), "%s ip_forward", n.Name)
			Expect(n.NS.ReadSysctl("net/ipv4/conf/all/rp_filter")).To(Equal("0"), n.Name)
			Expect(n.NS.ReadSysctl("net/ipv6/conf/all/disable_ipv6")).To(Equal("1"), n.Name)
			if len(n.Down) > 0 {
				Expect(n.NS.ReadSysctl("net/bridge/bridge-nf-call-iptables")).To(Equal("0"), n.Name)
			}
		}
	})

	It("translates: the server sees the gateway's WAN address, not the LAN address", func() {
		c := listen(topo, "srv", 9000)
		from, ok := sendUntil(topo, "a0-box0", 40000, srvPort(9000), c, "hello")
		Expect(ok).To(BeTrue(), "datagram reached the server")
		Expect(from.Addr()).To(Equal(addrOf(topo, "a0-gw")))
		Expect(from.Port()).To(BeEquivalentTo(40000), "Linux masquerade preserves the port when it is free")
	})

	It("keeps homes with the same private address apart: each is seen as its own gateway", func() {
		c := listen(topo, "srv", 9001)
		f0, ok0 := sendUntil(topo, "a0-box1", 40001, srvPort(9001), c, "from a0")
		f1, ok1 := sendUntil(topo, "a1-box1", 40001, srvPort(9001), c, "from a1")
		Expect(ok0 && ok1).To(BeTrue())
		Expect(f0.Addr()).To(Equal(addrOf(topo, "a0-gw")))
		Expect(f1.Addr()).To(Equal(addrOf(topo, "a1-gw")))
		Expect(f0.Addr()).NotTo(Equal(f1.Addr()))
	})

	It("isolates LANs: a LAN host cannot reach another home's LAN", func() {
		c := listen(topo, "b0-box0", 9002)
		_, ok := sendUntil(topo, "a0-box0", 0, netip.AddrPortFrom(addrOf(topo, "b0-box0"), 9002), c, "cross")
		Expect(ok).To(BeFalse())
	})

	It("isolates LANs: the core cannot reach a LAN address", func() {
		c := listen(topo, "a0-box0", 9003)
		err := send(topo, "core", 0, netip.AddrPortFrom(addrOf(topo, "a0-box0"), 9003), "probe")
		if err == nil {
			_, _, ok := recv(c, 300*time.Millisecond)
			Expect(ok).To(BeFalse())
		} // else: no route, which is isolation too
	})

	It("isolates LANs: a neighbour gateway routing straight at the WAN address gets nothing in", func() {
		// a1-gw is on the same core segment as a0-gw; it can route 192.168.1.0/24
		// to a0-gw's WAN address, but the NAT's forward filter drops it.
		h, err := topo.Node("a1-gw").NS.Netlink()
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		wan, err := h.LinkByName("wan0")
		Expect(err).NotTo(HaveOccurred())
		route := &netlink.Route{LinkIndex: wan.Attrs().Index, Dst: ipnet("172.31.1.0/24"), Gw: addrOf(topo, "a0-gw").AsSlice()}
		Expect(h.RouteAdd(route)).To(Succeed())
		defer h.RouteDel(route)
		c := listen(topo, "a0-box0", 9004)
		// 172.31.1.0/24 is not a0's LAN, so target a0's real LAN address via an /32 route.
		route32 := &netlink.Route{LinkIndex: wan.Attrs().Index, Dst: ipnet("192.168.1.100/32"), Gw: addrOf(topo, "a0-gw").AsSlice()}
		Expect(h.RouteAdd(route32)).To(Succeed())
		defer h.RouteDel(route32)
		send(topo, "a1-gw", 0, netip.MustParseAddrPort("192.168.1.100:9004"), "sneak")
		_, _, ok := recv(c, 500*time.Millisecond)
		Expect(ok).To(BeFalse())
	})

	It("answers replies through the NAT (an unsolicited inbound datagram is filtered, a reply is not)", func() {
		srv := listen(topo, "srv", 9005)
		box := listen(topo, "a0-box0", 40005)
		_, ok := sendUntil(topo, "a0-box0", 40006, netip.AddrPortFrom(addrOf(topo, "srv"), 9005), srv, "ping")
		Expect(ok).To(BeTrue())
		// Unsolicited: from the server to the gateway's port 40005, never used outbound.
		send(topo, "srv", 9005, netip.AddrPortFrom(addrOf(topo, "a0-gw"), 40005), "unsolicited")
		_, _, got := recv(box, 300*time.Millisecond)
		Expect(got).To(BeFalse())
		// A reply: the box sends first from 40005, the server answers the source it saw.
		box.WriteToUDPAddrPort([]byte("out"), netip.AddrPortFrom(addrOf(topo, "srv"), 9005))
		msg, from, ok := recv(srv, 2*time.Second)
		Expect(ok).To(BeTrue())
		Expect(msg).To(Equal("out"))
		srv.WriteToUDPAddrPort([]byte("back"), from)
		msg, _, ok = recv(box, 2*time.Second)
		Expect(ok).To(BeTrue())
		Expect(msg).To(Equal("back"))
	})
})

var _ = Describe("A server with two addresses", func() {
	It("has both on eth0 and both are reachable through a NAT", func() {
		topo := build(`
name: spec
duration: 10s
topology:
  servers: [{name: stun, role: udp-echo, addresses: 2}]
  homes: [{devices: [{name: box, role: udp-echo}]}]
`)
		srv := topo.Node("stun")
		Expect(srv.Extra).To(HaveLen(1))
		second := srv.Extra[0].Addr()
		Expect(second).NotTo(Equal(addrOf(topo, "stun")))
		c := listen(topo, "stun", 9400)
		for _, a := range []netip.Addr{addrOf(topo, "stun"), second} {
			from, ok := sendUntil(topo, "home0-box0", 0, netip.AddrPortFrom(a, 9400), c, "to "+a.String())
			Expect(ok).To(BeTrue(), "reached %s", a)
			Expect(from.Addr()).To(Equal(addrOf(topo, "home0-gw")))
		}
	})
})
