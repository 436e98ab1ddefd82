package userspace

import (
	"encoding/binary"
	"net/netip"

	"github.com/boxlab/boxlab/nat/table"
)

// Frame layout.
const (
	ethLen        = 14
	ipLen         = 20 // an IPv4 header without options, the only kind forwarded
	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
)

// Drop reasons of the parser and the forwarding path: the counter names.
const (
	dropShort       = "short-frame"
	dropEtherType   = "ethertype"
	dropVersion     = "bad-ip-version"
	dropHeaderLen   = "bad-ip-header-length"
	dropOptions     = "ip-options"
	dropTruncated   = "truncated"
	dropIPChecksum  = "bad-ip-checksum"
	dropFragment    = "fragment"
	dropProto       = "unknown-protocol"
	dropUDPLength   = "bad-udp-length"
	dropTCPHeader   = "bad-tcp-header"
	dropL4Checksum  = "bad-l4-checksum"
	dropICMPType    = "icmp-type"
	dropICMPInner   = "bad-icmp-quote"
	dropTTL         = "ttl-exceeded"
	dropICMPRate    = "icmp-error-rate-limited" // an ICMP error not sent (the frame is counted under its own reason too)
	dropNotOurs     = "not-our-address"
	dropVLAN        = "vlan"
	dropOversize    = "oversize"
	dropNoRoute     = "no-lan-route"
	dropARPFailed   = "arp-failed"
	dropARPQueue    = "arp-queue-full"
	dropImpairLoss  = "impair-loss"
	dropImpairRate  = "impair-rate"
	dropImpairQueue = "impair-queue-full"
	dropTX          = "tx-error"
)

// ICMP types the datapath translates.
const (
	icmpEchoReply   = 0
	icmpUnreachable = 3
	icmpQuench      = 4
	icmpEcho        = 8
	icmpTimeExceed  = 11
	icmpParamProb   = 12
)

// packet is a parsed IPv4 frame: offsets into b and the flow the table sees.
// All offsets are from the start of the frame.
type packet struct {
	b       []byte // the frame, trimmed to the IPv4 total length
	l4      int    // transport header
	l4len   int    // transport length the checksum covers (the UDP length for UDP)
	flow    table.Flow
	partial bool // the L4 checksum is partial (TP_STATUS_CSUMNOTREADY)
	icmp    uint8
	inner   int // quoted IPv4 header of an ICMP error; 0 otherwise
	innerL4 int
	inFlow  table.Flow
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

func addrAt(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b[:4])) }

// isError reports whether the packet is an ICMP error with a quoted packet.
func (p *packet) isError() bool { return p.inner != 0 }

// parse reads an Ethernet/IPv4 frame into p. It returns "" or the reason the
// frame cannot be forwarded. It never reads outside b. partial says the
// sender left the L4 checksum to offload: it is not verified then.
func parse(b []byte, partial bool, p *packet) string {
	*p = packet{partial: partial}
	if len(b) < ethLen+ipLen {
		return dropShort
	}
	if be16(b[12:]) != etherTypeIPv4 {
		return dropEtherType
	}
	ip := b[ethLen:]
	switch {
	case ip[0]>>4 != 4:
		return dropVersion
	case ip[0]&0xf < 5:
		return dropHeaderLen
	case ip[0]&0xf > 5:
		return dropOptions
	}
	total := int(be16(ip[2:]))
	if total < ipLen || total > len(ip) {
		return dropTruncated
	}
	b = b[:ethLen+total] // drop Ethernet padding
	ip = b[ethLen:]
	if checksum(ip[:ipLen], 0) != 0 {
		return dropIPChecksum
	}
	if be16(ip[6:])&0x3fff != 0 {
		return dropFragment
	}
	p.b = b
	p.l4 = ethLen + ipLen
	p.l4len = total - ipLen
	return p.parseL4(table.Proto(ip[9]))
}

func (p *packet) parseL4(proto table.Proto) string {
	ip, l4 := p.b[ethLen:], p.b[p.l4:]
	src, dst := addrAt(ip[12:]), addrAt(ip[16:])
	p.flow.Proto = proto
	switch proto {
	case table.UDP:
		if len(l4) < 8 {
			return dropTruncated
		}
		n := int(be16(l4[4:]))
		if n < 8 || n > len(l4) {
			return dropUDPLength
		}
		if !p.partial && be16(l4[6:]) != 0 && checksum(l4[:n], pseudo(ip[12:], ip[16:], 17, n)) != 0 {
			return dropL4Checksum
		}
		p.l4len = n // bytes after the UDP length are not part of the datagram
	case table.TCP:
		if len(l4) < 20 {
			return dropTruncated
		}
		if off := int(l4[12]>>4) * 4; off < 20 || off > len(l4) {
			return dropTCPHeader
		}
		if !p.partial && checksum(l4, pseudo(ip[12:], ip[16:], 6, len(l4))) != 0 {
			return dropL4Checksum
		}
		p.flow.Flags = l4[13] & (table.FIN | table.SYN | table.RST | table.ACK)
	case table.ICMP:
		if len(l4) < 8 {
			return dropTruncated
		}
		if !p.partial && checksum(l4, 0) != 0 {
			return dropL4Checksum
		}
		p.icmp = l4[0]
		switch p.icmp {
		case icmpEcho, icmpEchoReply:
			id := be16(l4[4:])
			p.flow.Src, p.flow.Dst = netip.AddrPortFrom(src, id), netip.AddrPortFrom(dst, id)
			return ""
		case icmpUnreachable, icmpTimeExceed, icmpParamProb, icmpQuench:
			p.flow.Src, p.flow.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
			return p.parseQuote()
		}
		return dropICMPType
	default:
		return dropProto
	}
	p.flow.Src = netip.AddrPortFrom(src, be16(l4))
	p.flow.Dst = netip.AddrPortFrom(dst, be16(l4[2:]))
	return ""
}

// parseQuote reads the packet an ICMP error quotes (RFC 792: its IPv4 header
// and at least 8 bytes of transport header).
func (p *packet) parseQuote() string {
	in := p.l4 + 8
	q := p.b[in:]
	if len(q) < ipLen+8 || q[0]>>4 != 4 || q[0]&0xf < 5 {
		return dropICMPInner
	}
	hl := int(q[0]&0xf) * 4
	if len(q) < hl+8 {
		return dropICMPInner
	}
	p.inner, p.innerL4 = in, in+hl
	l4 := q[hl:]
	f := table.Flow{Proto: table.Proto(q[9])}
	src, dst := addrAt(q[12:]), addrAt(q[16:])
	switch f.Proto {
	case table.UDP, table.TCP:
		f.Src, f.Dst = netip.AddrPortFrom(src, be16(l4)), netip.AddrPortFrom(dst, be16(l4[2:]))
	case table.ICMP:
		if l4[0] != icmpEcho && l4[0] != icmpEchoReply {
			return dropICMPInner
		}
		id := be16(l4[4:])
		f.Src, f.Dst = netip.AddrPortFrom(src, id), netip.AddrPortFrom(dst, id)
	default:
		return dropICMPInner
	}
	p.inFlow = f
	return ""
}

// rewrite sets the packet's addresses and ports (identifiers for ICMP echo)
// to those of out (the echo identifier to echoID), decrements the TTL and fixes every checksum: the IPv4
// header in full, the transport checksum incrementally (RFC 1624) when it was
// complete and in full when it was partial.
func (p *packet) rewrite(out table.Flow, echoID uint16) {
	ip := p.b[ethLen:]
	var d uint32 // pseudo-header and port delta for the transport checksum
	d = setAddr(ip[12:], out.Src.Addr(), d)
	d = setAddr(ip[16:], out.Dst.Addr(), d)
	l4 := p.b[p.l4:]
	switch p.flow.Proto {
	case table.UDP, table.TCP:
		d = setPort(l4, out.Src.Port(), d)
		d = setPort(l4[2:], out.Dst.Port(), d)
		p.fixTransport(d)
	case table.ICMP:
		if !p.isError() {
			e := setPort(l4[4:], echoID, 0)
			if p.partial {
				p.fullICMP()
			} else {
				binary.BigEndian.PutUint16(l4[2:], adjust(be16(l4[2:]), e))
			}
		}
	}
	ip[8]--
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], checksum(ip[:ipLen], 0))
}

// rewriteQuote translates the packet an ICMP error quotes to in, fixing its
// header checksum and, when quoted, its transport checksum (RFC 5508 §4),
// then recomputes the ICMP checksum. Call before rewrite.
func (p *packet) rewriteQuote(in table.Flow) {
	q := p.b[p.inner:]
	d := setAddr(q[12:], in.Src.Addr(), 0)
	d = setAddr(q[16:], in.Dst.Addr(), d)
	binary.BigEndian.PutUint16(q[10:], adjust(be16(q[10:]), d))
	l4 := p.b[p.innerL4:]
	switch p.inFlow.Proto {
	case table.UDP:
		d = setPort(l4, in.Src.Port(), d)
		d = setPort(l4[2:], in.Dst.Port(), d)
		if c := be16(l4[6:]); c != 0 {
			binary.BigEndian.PutUint16(l4[6:], zeroUDP(adjust(c, d)))
		}
	case table.TCP:
		d = setPort(l4, in.Src.Port(), d)
		d = setPort(l4[2:], in.Dst.Port(), d)
		if len(l4) >= 18 {
			binary.BigEndian.PutUint16(l4[16:], adjust(be16(l4[16:]), d))
		}
	case table.ICMP:
		id := in.Src.Port()
		if id == p.inFlow.Src.Port() {
			id = in.Dst.Port()
		}
		e := setPort(l4[4:], id, 0)
		binary.BigEndian.PutUint16(l4[2:], adjust(be16(l4[2:]), e))
	}
	p.fullICMP()
}

// fixTransport updates the UDP or TCP checksum after the changes summed in d.
func (p *packet) fixTransport(d uint32) {
	l4 := p.b[p.l4:]
	at := 16 // TCP
	if p.flow.Proto == table.UDP {
		at = 6
		if !p.partial && be16(l4[6:]) == 0 {
			return // no checksum (RFC 768)
		}
	}
	c := be16(l4[at:])
	if p.partial {
		ip := p.b[ethLen:]
		l4[at], l4[at+1] = 0, 0
		c = checksum(l4[:p.l4len], pseudo(ip[12:], ip[16:], uint8(p.flow.Proto), p.l4len))
	} else {
		c = adjust(c, d)
	}
	if p.flow.Proto == table.UDP {
		c = zeroUDP(c)
	}
	binary.BigEndian.PutUint16(l4[at:], c)
	p.partial = false
}

// fullICMP recomputes the ICMP checksum over the whole message.
func (p *packet) fullICMP() {
	l4 := p.b[p.l4:]
	l4[2], l4[3] = 0, 0
	binary.BigEndian.PutUint16(l4[2:], checksum(l4, 0))
	p.partial = false
}

// zeroUDP maps a computed UDP checksum of 0 to 0xffff (RFC 768).
func zeroUDP(c uint16) uint16 {
	if c == 0 {
		return 0xffff
	}
	return c
}

func setAddr(b []byte, a netip.Addr, d uint32) uint32 {
	n := a.As4()
	if [4]byte(b[:4]) == n {
		return d
	}
	d = delta(d, b[:4], n[:])
	copy(b, n[:])
	return d
}

func setPort(b []byte, port uint16, d uint32) uint32 {
	var n [2]byte
	binary.BigEndian.PutUint16(n[:], port)
	if b[0] == n[0] && b[1] == n[1] {
		return d
	}
	d = delta(d, b[:2], n[:])
	copy(b, n[:])
	return d
}
