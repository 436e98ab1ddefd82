package cli_test

import (
	"net/netip"
	"os"
	"path/filepath"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// ipFrame is one IPv4 packet seen in a pcap; the ports are set for UDP.
type ipFrame struct {
	src, dst         netip.Addr
	udp              bool
	srcPort, dstPort uint16
}

// readIPv4 decodes every IPv4 packet of a pcap file.
func readIPv4(path string) []ipFrame {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	Expect(err).NotTo(HaveOccurred(), "%s is not a pcap file", path)
	var frames []ipFrame
	for p := range gopacket.NewPacketSource(r, r.LinkType()).Packets() {
		ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			continue
		}
		s, _ := netip.AddrFromSlice(ip.SrcIP)
		d, _ := netip.AddrFromSlice(ip.DstIP)
		fr := ipFrame{src: s.Unmap(), dst: d.Unmap()}
		if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			fr.udp, fr.srcPort, fr.dstPort = true, uint16(udp.SrcPort), uint16(udp.DstPort)
		}
		frames = append(frames, fr)
	}
	return frames
}

// requestSources counts the UDP datagrams to port by source address.
func requestSources(frames []ipFrame, port uint16) map[netip.Addr]int {
	sources := map[netip.Addr]int{}
	for _, f := range frames {
		if f.udp && f.dstPort == port {
			sources[f.src]++
		}
	}
	return sources
}

var (
	publicPool = netip.MustParsePrefix("198.18.0.0/16") // pools.public default
	lanPool    = netip.MustParsePrefix("192.168.0.0/16")
)

var _ = Describe("boxlab run --capture", func() {
	It("writes home0-gw-wan0.pcap (and echo-eth0.pcap) where requests to port 7 leave from the gateway's WAN address, never 192.168.x", func() {
		cleanAfter()
		out := GinkgoT().TempDir()
		r := boxlab("run", "scenarios/quickstart.yaml", "--speed", "6", "--out", out,
			"--capture", "home0-gw", "--capture", "echo:eth0")
		Expect(r.code).To(BeNumerically("<=", 1), "not a setup error; stderr:\n%s", r.stderr)
		rep := readReport(out)
		Expect(rep.Files).To(ContainElements("home0-gw-wan0.pcap", "echo-eth0.pcap"))

		By("on the gateway's WAN side, every request to port 7 has the one WAN source address")
		wan := readIPv4(filepath.Join(out, "home0-gw-wan0.pcap"))
		Expect(wan).NotTo(BeEmpty())
		for _, f := range wan {
			Expect(lanPool.Contains(f.src) || lanPool.Contains(f.dst)).To(BeFalse(), "untranslated packet on wan0: %+v", f)
		}
		sources := requestSources(wan, 7)
		Expect(sources).To(HaveLen(1), "one WAN source for requests to port 7: %v", sources)
		var gwWAN netip.Addr
		for a := range sources {
			gwWAN = a
		}
		Expect(publicPool.Contains(gwWAN)).To(BeTrue(), "WAN source %s outside pools.public", gwWAN)
		Expect(sources[gwWAN]).To(BeNumerically(">", 0))
		GinkgoWriter.Printf("wan0: %d IPv4 packets, %d requests to port 7 from %s\n", len(wan), sources[gwWAN], gwWAN)

		By("the server sees public sources only, this gateway's among them")
		seen := requestSources(readIPv4(filepath.Join(out, "echo-eth0.pcap")), 7)
		for a := range seen {
			Expect(publicPool.Contains(a)).To(BeTrue(), "request to the server from %s", a)
		}
		Expect(seen).To(HaveKey(gwWAN))
	})
})
