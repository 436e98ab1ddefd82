package userspace

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/boxlab/boxlab/nat/table"
)

var (
	lanHost = netip.MustParseAddrPort("192.168.1.100:40000")
	server  = netip.MustParseAddrPort("203.0.113.7:3478")
	wanEnd  = netip.MustParseAddrPort("198.51.100.2:61000")
	macA    = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB    = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

// frame builds an Ethernet/IPv4 frame with gopacket, checksums computed.
func frame(t testing.TB, src, dst netip.AddrPort, ttl uint8, l4 layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Id: 77, Protocol: l4, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	ls := []gopacket.SerializableLayer{eth, ip}
	switch l4 {
	case layers.IPProtocolUDP:
		u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
		u.SetNetworkLayerForChecksum(ip)
		ls = append(ls, u)
	case layers.IPProtocolTCP:
		tc := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: 1000, SYN: true, Window: 65535,
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}}
		tc.SetNetworkLayerForChecksum(ip)
		ls = append(ls, tc)
	case layers.IPProtocolICMPv4:
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: src.Port(), Seq: 1})
	}
	ls = append(ls, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// makePartial turns a frame's L4 checksum into what veth TX offload leaves:
// the folded pseudo-header sum, not complemented.
func makePartial(b []byte) {
	ip := b[ethLen:]
	l4 := ip[ipLen:]
	at := map[uint8]int{6: 16, 17: 6}[ip[9]]
	binary.BigEndian.PutUint16(l4[at:], fold(pseudo(ip[12:], ip[16:], ip[9], len(l4))))
}

func TestRewriteMatchesGopacket(t *testing.T) {
	payload := []byte("boxlab payload, odd length!")
	for _, tc := range []struct {
		name    string
		proto   layers.IPProtocol
		partial bool
	}{
		{"RFC 1624 incremental UDP", layers.IPProtocolUDP, false},
		{"RFC 1624 incremental TCP", layers.IPProtocolTCP, false},
		{"ICMP echo identifier", layers.IPProtocolICMPv4, false},
		{"CSUMNOTREADY UDP recomputed in full", layers.IPProtocolUDP, true},
		{"CSUMNOTREADY TCP recomputed in full", layers.IPProtocolTCP, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := frame(t, lanHost, server, 64, tc.proto, payload)
			if tc.partial {
				makePartial(in)
			}
			dst := server
			if tc.proto == layers.IPProtocolICMPv4 {
				dst = netip.AddrPortFrom(server.Addr(), wanEnd.Port())
			}
			want := frame(t, wanEnd, dst, 63, tc.proto, payload)
			var p packet
			if r := parse(in, tc.partial, &p); r != "" {
				t.Fatalf("parse: %s", r)
			}
			if p.flow.Src != lanHost || p.flow.Dst.Addr() != server.Addr() {
				t.Fatalf("flow %v", p.flow)
			}
			p.rewrite(table.Flow{Proto: p.flow.Proto, Src: wanEnd, Dst: dst}, wanEnd.Port())
			if !bytes.Equal(p.b, want) {
				t.Fatalf("rewritten frame differs from gopacket's\n got %x\nwant %x", p.b, want)
			}
			if r := parse(p.b, false, &p); r != "" {
				t.Fatalf("rewritten frame does not parse: %s", r)
			}
		})
	}
}

func TestUDPZeroChecksumStaysZero(t *testing.T) {
	in := frame(t, lanHost, server, 64, layers.IPProtocolUDP, []byte("x"))
	in[ethLen+ipLen+6], in[ethLen+ipLen+7] = 0, 0
	var p packet
	if r := parse(in, false, &p); r != "" {
		t.Fatal(r)
	}
	p.rewrite(table.Flow{Proto: table.UDP, Src: wanEnd, Dst: server}, 0)
	if c := be16(p.b[ethLen+ipLen+6:]); c != 0 {
		t.Fatalf("RFC 768: no checksum must stay no checksum, got %#x", c)
	}
}

func TestICMPErrorQuoteTranslated(t *testing.T) {
	// RFC 5508 §4: a port unreachable from the server about a datagram that
	// left as wanEnd -> server; inbound it must quote lanHost -> server.
	quote := func(src netip.AddrPort) []byte {
		return frame(t, src, server, 63, layers.IPProtocolUDP, []byte("q"))[ethLen:]
	}
	build := func(dst netip.Addr, q []byte, ttl uint8) []byte {
		eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Id: 5, Protocol: layers.IPProtocolICMPv4, SrcIP: server.Addr().AsSlice(), DstIP: dst.AsSlice()}
		ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, ic, gopacket.Payload(q)); err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	in := build(wanEnd.Addr(), quote(wanEnd), 64)
	want := build(lanHost.Addr(), quote(lanHost), 63)
	var p packet
	if r := parse(in, false, &p); r != "" {
		t.Fatal(r)
	}
	if !p.isError() || p.inFlow.Src != wanEnd || p.inFlow.Dst != server || p.inFlow.Proto != table.UDP {
		t.Fatalf("quoted flow %+v", p.inFlow)
	}
	p.rewriteQuote(table.Flow{Proto: table.UDP, Src: lanHost, Dst: server})
	p.rewrite(table.Flow{Proto: table.ICMP, Src: netip.AddrPortFrom(server.Addr(), 0), Dst: netip.AddrPortFrom(lanHost.Addr(), 0)}, 0)
	if !bytes.Equal(p.b, want) {
		t.Fatalf("translated error differs\n got %x\nwant %x", p.b, want)
	}
}

func TestMalformedCountedByReason(t *testing.T) {
	good := frame(t, lanHost, server, 64, layers.IPProtocolUDP, []byte("hello"))
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	fixIP := func(b []byte) []byte {
		b[ethLen+10], b[ethLen+11] = 0, 0
		binary.BigEndian.PutUint16(b[ethLen+10:], checksum(b[ethLen:ethLen+ipLen], 0))
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, dropShort},
		{"Ethernet header only", good[:14], dropShort},
		{"truncated IPv4 header", good[:30], dropShort},
		{"IPv6 ethertype", mod(func(b []byte) []byte { b[12], b[13] = 0x86, 0xdd; return b }), dropEtherType},
		{"IP version 6 in an IPv4 frame", mod(func(b []byte) []byte { b[14] = 0x65; return b }), dropVersion},
		{"IHL 4", mod(func(b []byte) []byte { b[14] = 0x44; return b }), dropHeaderLen},
		{"IP options", mod(func(b []byte) []byte { b[14] = 0x46; return b }), dropOptions},
		{"total length beyond the frame", mod(func(b []byte) []byte { b[16], b[17] = 0x05, 0xdc; return fixIP(b) }), dropTruncated},
		{"total length below the header", mod(func(b []byte) []byte { b[16], b[17] = 0, 10; return fixIP(b) }), dropTruncated},
		{"bad IPv4 header checksum", mod(func(b []byte) []byte { b[24] ^= 0xff; return b }), dropIPChecksum},
		{"fragment with MF", mod(func(b []byte) []byte { b[20] |= 0x20; return fixIP(b) }), dropFragment},
		{"fragment with an offset", mod(func(b []byte) []byte { b[21] = 8; return fixIP(b) }), dropFragment},
		{"unknown protocol (GRE)", mod(func(b []byte) []byte { b[23] = 47; return fixIP(b) }), dropProto},
		{"UDP length beyond the packet", mod(func(b []byte) []byte { b[38] = 0xff; return b }), dropUDPLength},
		{"UDP length below 8", mod(func(b []byte) []byte { b[38], b[39] = 0, 4; return b }), dropUDPLength},
		{"bad UDP checksum", mod(func(b []byte) []byte { b[40] ^= 0x55; return b }), dropL4Checksum},
		{"truncated UDP header", mod(func(b []byte) []byte { b[16], b[17] = 0, 24; return fixIP(b)[:38] }), dropTruncated},
		{"TCP data offset 4", func() []byte {
			b := frame(t, lanHost, server, 64, layers.IPProtocolTCP, nil)
			b[ethLen+ipLen+12] = 0x40
			return b
		}(), dropTCPHeader},
		{"ICMP timestamp", func() []byte {
			b := frame(t, lanHost, server, 64, layers.IPProtocolICMPv4, nil)
			l4 := b[ethLen+ipLen:]
			l4[0], l4[2], l4[3] = 13, 0, 0
			binary.BigEndian.PutUint16(l4[2:], checksum(l4, 0))
			return b
		}(), dropICMPType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p packet
			if got := parse(tc.b, false, &p); got != tc.want {
				t.Fatalf("parse = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPartialChecksumNotCountedBad(t *testing.T) {
	b := frame(t, lanHost, server, 64, layers.IPProtocolUDP, []byte("offloaded"))
	makePartial(b)
	var p packet
	if r := parse(b, false, &p); r != dropL4Checksum {
		t.Fatalf("without the kernel's word a partial checksum is bad; got %q", r)
	}
	if r := parse(b, true, &p); r != "" {
		t.Fatalf("TP_STATUS_CSUMNOTREADY: want accepted, got %q", r)
	}
}

func TestEthernetPaddingTrimmed(t *testing.T) {
	b := frame(t, lanHost, server, 64, layers.IPProtocolUDP, []byte("x"))
	b = append(b, make([]byte, 60-len(b)+4)...)
	var p packet
	if r := parse(b, false, &p); r != "" {
		t.Fatal(r)
	}
	if len(p.b) != ethLen+ipLen+8+1 {
		t.Fatalf("len %d", len(p.b))
	}
}
