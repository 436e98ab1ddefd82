package userspace

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// ICMP errors the datapath originates.
const (
	icmpErrMaxLen = 576 // RFC 1812 §4.3.2.3: an ICMP error fits in 576 bytes of IPv4
	icmpErrTTL    = 64
	icmpErrRate   = 1000 // ICMP errors a second per gateway (RFC 1812 §4.3.2.8), like Linux's icmp_msgs_per_sec
	icmpErrBurst  = 50
)

// timeExceeded builds the ICMP Time Exceeded (type 11, code 0: time to live
// exceeded in transit, RFC 792) that a router sends back to the source of a
// packet it drops for its TTL (RFC 1812 §5.3.1): an Ethernet frame from
// srcMAC to the previous hop (the dropped frame's sender), an IPv4 packet
// from addr, quoting the dropped packet's IPv4 header and as much of its data
// as fits in 576 bytes (RFC 1812 §4.3.2.3). It returns nil when no ICMP
// error may be sent about p (RFC 1812 §4.3.2.7, RFC 1122 §3.2.2): p is an
// ICMP error itself, or its source is not a unicast host address.
func timeExceeded(p *packet, addr netip.Addr, srcMAC [6]byte) []byte {
	if p.isError() || !addr.Is4() {
		return nil
	}
	orig := p.b[ethLen:]
	src := addrAt(orig[12:])
	if src.IsUnspecified() || src.IsMulticast() || src.IsLoopback() || src == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return nil
	}
	quote := orig[:min(len(orig), icmpErrMaxLen-ipLen-8)]
	b := make([]byte, ethLen+ipLen+8+len(quote))
	copy(b[0:6], p.b[6:12])
	copy(b[6:12], srcMAC[:])
	binary.BigEndian.PutUint16(b[12:], etherTypeIPv4)
	ip := b[ethLen:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[8] = icmpErrTTL
	ip[9] = 1 // ICMP
	a := addr.As4()
	copy(ip[12:16], a[:])
	copy(ip[16:20], orig[12:16])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip[:ipLen], 0))
	icmp := ip[ipLen:]
	icmp[0] = icmpTimeExceed // code 0: TTL exceeded in transit; bytes 4-7 unused, zero
	copy(icmp[8:], quote)
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp, 0))
	return b
}

// errLimiter is a token bucket on the ICMP errors a gateway originates, so a
// flood of expiring packets cannot turn it into a flood of replies.
type errLimiter struct {
	tokens float64
	last   time.Time
}

// allow takes a token if there is one at now.
func (l *errLimiter) allow(now time.Time) bool {
	if l.last.IsZero() {
		l.tokens = icmpErrBurst
	} else if d := now.Sub(l.last).Seconds(); d > 0 {
		l.tokens = min(icmpErrBurst, l.tokens+d*icmpErrRate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// ttlExpired drops pk for its TTL and answers it with ICMP Time Exceeded
// from the address of the interface it came in on, to the neighbour that
// sent it; g.mu is held.
func (g *NAT) ttlExpired(from *port, pk *packet, now time.Time, tx []*txBatch) {
	g.dropN(dropTTL, 1)
	if !g.errLimit.allow(now) {
		g.dropN(dropICMPRate, 1)
		return
	}
	b := timeExceeded(pk, from.addr.Addr(), from.s.mac)
	if b == nil {
		return
	}
	if failed := tx[from.id].add(b); failed > 0 {
		g.dropN(dropTX, failed)
	}
	g.icmpOut++
}
