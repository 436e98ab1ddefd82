package conform

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// checkErrorChecksum (RFC 5508 REQ-3): an ICMP error from outside whose
// ICMP checksum is wrong SHOULD be dropped. s2, a router as far as the NAT
// knows, sends lan0's mapping a host unreachable with a broken checksum and
// then a communication-prohibited with a good one, both quoting the mapping's
// datagram to s1; lan0's raw ICMP socket sees what the NAT forwarded. The
// good one must arrive (the NAT translates errors at all).
func checkErrorChecksum(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.S1Addr, 3496)
	s1, err := h.UDP(h.S1, h.S1Addr, int(dst.Port()))
	if err != nil {
		return failed(err)
	}
	_, m, err := h.Mapping(h.LAN1, 48600, s1, dst)
	if err != nil {
		return failed(err)
	}
	socks, err := h.icmpSockets(h.LAN1, h.S2)
	if err != nil {
		return failed(err)
	}
	lan, router := socks[0], socks[1]
	inner := append(ipv4(m.Addr(), h.S1Addr, unix.IPPROTO_UDP, 8, 0x5508, 0, false), udpDatagram(m, dst, nil)...)
	quotes := func(code byte) func(netip.Addr, []byte) bool {
		return func(_ netip.Addr, msg []byte) bool {
			if msg[0] != 3 || msg[1] != code || len(msg) < 8+20+8 {
				return false
			}
			q := msg[8:]
			ihl := int(q[0]&0x0f) * 4
			return len(q) >= ihl+4 && binary.BigEndian.Uint16(q[ihl:]) == 48600 // the quoted source, translated back
		}
	}
	bad := icmpError(3, 1, inner)
	bad[2] ^= 0x5a // a wrong ICMP checksum
	if err := router.send(h.Public, bad); err != nil {
		return failed(err)
	}
	_, _, badIn := lan.recv(300*time.Millisecond, quotes(1))
	var goodIn bool
	for i := 0; i < 3 && !goodIn; i++ {
		if err := router.send(h.Public, icmpError(3, 13, inner)); err != nil {
			return failed(err)
		}
		_, _, goodIn = lan.recv(300*time.Millisecond, quotes(13))
	}
	obs := fmt.Sprintf("errors from s2 quoting %v->%v: host unreachable with a bad ICMP checksum %s lan0; administratively prohibited with a good one %s lan0",
		m, dst, reached(badIn), reached(goodIn))
	switch {
	case !goodIn:
		return comply(false, "errors not translated", "%s", obs)
	case badIn:
		return comply(false, "bad checksum forwarded", "%s", obs)
	}
	return comply(true, "bad checksum dropped", "%s", obs)
}

// checkQueryErrorKeepsSession (RFC 5508 REQ-6): an ICMP error about an ICMP
// query MUST NOT delete the query's session. lan0 pings s1; s2 says s1 is
// unreachable, quoting the echo request as it left the NAT; an echo reply
// from s1 with the session's identifier must still reach lan0.
func checkQueryErrorKeepsSession(ctx context.Context, h *Harness) Outcome {
	socks, err := h.icmpSockets(h.LAN1, h.S1, h.S2)
	if err != nil {
		return failed(err)
	}
	lan, s1, s2 := socks[0], socks[1], socks[2]
	const id = 0x5506
	seen, ok := h.ping(lan, s1, h.S1Addr, id, 1)
	if !ok {
		return failed(fmt.Errorf("echo from lan0 to s1 not answered"))
	}
	req := echo(8, seen, 1, []byte("boxlab"))
	inner := append(ipv4(h.Public, h.S1Addr, unix.IPPROTO_ICMP, len(req), 0x5506, 0, false), req...)
	if err := s2.send(h.Public, icmpError(3, 1, inner)); err != nil {
		return failed(err)
	}
	time.Sleep(100 * time.Millisecond)
	var alive bool
	for i := 0; i < 3 && !alive; i++ {
		s1.send(h.Public, echo(0, seen, 99, []byte("late")))
		_, _, alive = lan.recv(300*time.Millisecond, echoMatch(0, id, 99))
	}
	label := "session kept"
	if !alive {
		label = "session deleted"
	}
	return comply(alive, label, "echo id %#x from lan0 (id %#x outside); after a host unreachable from s2 quoting the request, an echo reply from s1 %s lan0", id, seen, reached(alive))
}
