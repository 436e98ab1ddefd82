package trigger

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/boxlab/boxlab/devices/platform"
)

func TestTriggerPacket(t *testing.T) {
	src := netip.MustParseAddrPort("198.19.0.2:5060")
	cam := netip.MustParseAddrPort("192.168.1.101:5060")
	b, err := TriggerPacket(platform.Indication{Camera: cam, Server: src, Command: platform.SendUDPTrigger, PD1: []byte("PD1")}, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := gopacket.NewPacket(b, layers.LayerTypeIPv4, gopacket.Default)
	ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if ip.SrcIP.String() != "198.19.0.2" || ip.DstIP.String() != "192.168.1.101" || udp.SrcPort != 5060 || udp.DstPort != 5060 || string(udp.Payload) != "PD1" {
		t.Fatalf("seed 002 S7: forged source ③④, destination ①②, payload PD1; got %v", p)
	}
	b, err = TriggerPacket(platform.Indication{Camera: netip.MustParseAddrPort("192.168.1.101:554"), Server: src, Command: platform.SendTCPSyn}, netip.MustParseAddrPort("198.19.0.2:40000"), 99)
	if err != nil {
		t.Fatal(err)
	}
	p = gopacket.NewPacket(b, layers.LayerTypeIPv4, gopacket.Default)
	tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !tcp.SYN || tcp.ACK || tcp.Seq != 99 || tcp.SrcPort != 40000 || tcp.DstPort != 554 || len(tcp.Payload) != 0 {
		t.Fatalf("seed 002 variant: bare SYN from ③④; got %v", p)
	}
}
