package trigger

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/platform"
)

// forger sends trigger packets (S7) with a forged source through a raw IPv4
// socket (IPPROTO_RAW implies IP_HDRINCL): the kernel routes by destination
// and resolves the camera's MAC on the shared LAN, and does not check the
// source. The packet never crosses the gateway, so no NAT or rp_filter on
// the gateway sees it; the camera's reverse path to the forged source is its
// default route out of the same interface, which passes strict rp_filter.
type forger struct{ fd int }

func newForger(env *devices.Env) (*forger, error) {
	fd, err := env.NS.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("trigger raw socket: %w", err)
	}
	return &forger{fd: fd}, nil
}

func (f *forger) Close() error { return unix.Close(f.fd) }

// forge sends the trigger packet of one indication from src.
func (f *forger) forge(in platform.Indication, src netip.AddrPort, isn uint32) error {
	b, err := TriggerPacket(in, src, isn)
	if err != nil {
		return err
	}
	return unix.Sendto(f.fd, b, 0, &unix.SockaddrInet4{Addr: in.Camera.Addr().As4()})
}

// TriggerPacket builds the IPv4 trigger packet of an indication: from src
// (the platform's public address) to the camera, UDP with PD1 or a bare
// TCP SYN with initial sequence number isn.
func TriggerPacket(in platform.Indication, src netip.AddrPort, isn uint32) ([]byte, error) {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment,
		SrcIP: src.Addr().AsSlice(), DstIP: in.Camera.Addr().AsSlice()}
	var l4 gopacket.SerializableLayer
	switch in.Command {
	case platform.SendUDPTrigger:
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(in.Camera.Port())}
		udp.SetNetworkLayerForChecksum(ip)
		l4 = udp
	case platform.SendTCPSyn:
		ip.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(in.Camera.Port()), Seq: isn, SYN: true, Window: 64240,
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}}
		tcp.SetNetworkLayerForChecksum(ip)
		l4 = tcp
	default:
		return nil, fmt.Errorf("trigger packet: command %v", in.Command)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, l4, gopacket.Payload(in.PD1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
