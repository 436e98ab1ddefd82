package natdp_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat/userspace"
	"github.com/boxlab/boxlab/sim/topology"
)

var _ = Describe("The userspace NAT datapath and the kernel", Ordered, func() {
	var topo *topology.Topology
	srv := func(port int) netip.AddrPort { return netip.AddrPortFrom(addrOf(topo, "srv"), uint16(port)) }

	BeforeAll(func() { topo = build(scenarioText()) })

	It("keeps the kernel out: ip_forward is 0, the netdev table is there, each datagram arrives once, translated", func() {
		gw := topo.Node("fc0-gw")
		Expect(gw.NS.ReadSysctl("net/ipv4/ip_forward")).To(Equal("0"))
		s := listen(topo, "srv", 9040)
		box := listen(topo, "fc0-box0", 40040)
		_, ok := sendUntil(box, srv(9040), s, "warm")
		Expect(ok).To(BeTrue())
		for len := 0; len < 50; len++ {
			if _, _, ok := recv(s, 50*time.Millisecond); !ok {
				break // drain retries of the warm-up
			}
		}
		for i := 0; i < 5; i++ {
			box.WriteToUDPAddrPort([]byte{byte(i)}, srv(9040))
		}
		var got []byte
		for {
			msg, from, ok := recv(s, 500*time.Millisecond)
			if !ok {
				break
			}
			Expect(from.Addr()).To(Equal(addrOf(topo, "fc0-gw")), "never the untranslated LAN address")
			got = append(got, msg...)
		}
		Expect(got).To(Equal([]byte{0, 1, 2, 3, 4}), "exactly one copy of each: the kernel forwards nothing")
	})

	It("with the datapath stopped, nothing passes", func() {
		s := listen(topo, "srv", 9041)
		box := listen(topo, "off0-box0", 0)
		_, ok := sendUntil(box, srv(9041), s, "before")
		Expect(ok).To(BeTrue())
		Expect(topo.Node("off0-gw").NAT.Close()).To(Succeed())
		_, ok = sendUntil(box, srv(9041), s, "after")
		Expect(ok).To(BeFalse())
	})

	It("counts and drops malformed frames injected on the LAN (bad IPv4 checksum, fragment)", func() {
		g := dp(topo, "fc0-gw")
		s := listen(topo, "srv", 9042)
		before := g.Counters().Drops
		for _, bad := range []struct {
			reason  string
			corrupt func(b []byte)
		}{
			{"bad-ip-checksum", func(b []byte) { b[14+10] ^= 0x5a }},
			{"fragment", func(b []byte) { setIPField(b, 6, 0x20) }},
			{"ip-options", func(b []byte) { b[14] = 0x46 }},
		} {
			f := lanFrame(topo, "fc0", srv(9042), "malformed")
			bad.corrupt(f)
			inject(topo, "fc0-box0", f)
			Eventually(func() uint64 { return g.Counters().Drops[bad.reason] }).
				WithTimeout(2*time.Second).Should(BeNumerically(">", before[bad.reason]), bad.reason)
		}
		_, _, ok := recv(s, 300*time.Millisecond)
		Expect(ok).To(BeFalse(), "nothing malformed reached the server")
	})

	It("loses every mapping on Reset (a reboot)", func() {
		g := dp(topo, "fc0-gw")
		s := listen(topo, "srv", 9043)
		box := listen(topo, "fc0-box0", 40043)
		mapped, ok := sendUntil(box, srv(9043), s, "open")
		Expect(ok).To(BeTrue())
		Expect(g.Mappings()).To(ContainElement(HaveField("External", mapped)))
		Expect(g.Reset()).To(Succeed())
		Expect(g.Mappings()).To(BeEmpty())
		s.WriteToUDPAddrPort([]byte("to the old mapping"), mapped)
		_, _, ok = recv(box, 300*time.Millisecond)
		Expect(ok).To(BeFalse())
		_, ok = sendUntil(box, srv(9043), s, "again")
		Expect(ok).To(BeTrue(), "a new mapping is made after the reboot")
	})

	It("carries a TCP connection with data both ways through full cone (RFC 5382)", func() {
		l, err := topo.Node("srv").NS.Listen("tcp4", ":9044")
		Expect(err).NotTo(HaveOccurred())
		defer l.Close()
		const size = 256 << 10
		seen := make(chan string, 1)
		go func() {
			defer GinkgoRecover()
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			seen <- c.RemoteAddr().String()
			buf := make([]byte, size)
			if _, err := io.ReadFull(c, buf); err == nil {
				c.Write(buf)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := topo.Node("fc0-box0").NS.DialContext(ctx, "tcp4", srv(9044).String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		out := make([]byte, size)
		for i := range out {
			out[i] = byte(i * 7)
		}
		go c.Write(out)
		back := make([]byte, size)
		_, err = io.ReadFull(c, back)
		Expect(err).NotTo(HaveOccurred())
		Expect(back).To(Equal(out))
		from, err := netip.ParseAddrPort(<-seen)
		Expect(err).NotTo(HaveOccurred())
		Expect(from.Addr()).To(Equal(addrOf(topo, "fc0-gw")))
	})
})

// lanFrame is a correct UDP frame from home's box to dst, addressed to its
// gateway's LAN MAC.
func lanFrame(topo *topology.Topology, home string, dst netip.AddrPort, msg string) []byte {
	GinkgoHelper()
	box := topo.Node(home + "-box0")
	eth := &layers.Ethernet{SrcMAC: macOf(box, "eth0"), DstMAC: macOf(topo.Node(home+"-gw"), "lan0"), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: box.Addr().Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	u := &layers.UDP{SrcPort: 40044, DstPort: layers.UDPPort(dst.Port())}
	u.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	Expect(gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, u, gopacket.Payload(msg))).To(Succeed())
	return buf.Bytes()
}

// setIPField ORs v into the IPv4 header byte at off and fixes the header checksum.
func setIPField(b []byte, off int, v byte) {
	ip := b[14:34]
	ip[off] |= v
	ip[10], ip[11] = 0, 0
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	ip[10], ip[11] = byte(^s>>8), byte(^s)
}

func macOf(n *topology.Live, iface string) net.HardwareAddr {
	GinkgoHelper()
	h, err := n.NS.Netlink()
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName(iface)
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().HardwareAddr
}

// inject sends a raw frame out of node's eth0.
func inject(topo *topology.Topology, node string, frame []byte) {
	GinkgoHelper()
	n := topo.Node(node)
	fd, err := n.NS.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	Expect(err).NotTo(HaveOccurred())
	defer unix.Close(fd)
	var idx int
	Expect(n.NS.Do(func() error {
		i, err := net.InterfaceByName("eth0")
		if err == nil {
			idx = i.Index
		}
		return err
	})).To(Succeed())
	Expect(unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: idx, Halen: 6})).To(Succeed())
}

var _ = userspace.TableName
