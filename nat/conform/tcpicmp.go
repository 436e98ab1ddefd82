package conform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// RFC 5382 §6 and §7: ALGs, port assignment, hairpinning and ICMP for TCP.
func tcpOtherRequirements() []Requirement {
	return []Requirement{
		{ID: "RFC5382 REQ-6", Title: "No TCP ALG (other than FTP) enabled by default", Level: RECOMMENDED, Check: checkTCPALG},
		{ID: "RFC5382 REQ-7", Title: "No TCP port overloading", Level: MUST, Check: checkTCPOverloading},
		{ID: "RFC5382 REQ-8", Title: "TCP hairpinning with the external source address and port", Level: MUST, Check: checkTCPHairpin},
		{ID: "RFC5382 REQ-9", Title: "ICMP destination unreachable for a TCP connection is translated", Level: SHOULD, Check: checkTCPUnreachable},
		{ID: "RFC5382 REQ-10", Title: "ICMP does not terminate a TCP mapping or connection", Level: MUST, Check: checkTCPSurvivesICMP},
	}
}

func checkTCPALG(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.S1Addr, 5060)
	l, err := h.Listen(h.S1, dst.Addr(), int(dst.Port()))
	if err != nil {
		return failed(err)
	}
	c, err := h.Dial(h.LAN1, netip.AddrPortFrom(netip.Addr{}, 5060), dst, 3*time.Second, 0)
	if err != nil {
		return failed(fmt.Errorf("lan0:5060 to s1:5060: %w", err))
	}
	sc, _, ok := h.accept(l, 2*time.Second)
	if !ok {
		return failed(errors.New("s1:5060 accepted nothing"))
	}
	lan := h.Addr(h.LAN1)
	a4 := lan.As4()
	msg := fmt.Sprintf("INVITE sip:box@%v:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP %v:5060\r\nContact: <sip:box@%v:5060;transport=tcp>\r\nContent-Length: 0\r\n\r\nraw:%s", h.S1Addr, lan, lan, string(a4[:]))
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		return failed(err)
	}
	buf := make([]byte, 4096)
	got := 0
	sc.SetReadDeadline(time.Now().Add(time.Second))
	for got < len(msg) {
		n, err := sc.Read(buf[got:])
		got += n
		if err != nil {
			break
		}
	}
	if got == 0 {
		return failed(errors.New("nothing reached s1:5060"))
	}
	if string(buf[:got]) == msg {
		return comply(true, "no ALG", "a SIP INVITE over TCP to port 5060 naming the internal address %v (as text and as 4 bytes) arrived unchanged", lan)
	}
	return comply(false, "ALG", "a SIP INVITE over TCP naming the internal address %v arrived rewritten (%d bytes, was %d)", lan, got, len(msg))
}

func checkTCPOverloading(ctx context.Context, h *Harness) Outcome {
	const port = 47400
	dst := netip.AddrPortFrom(h.S1Addr, 80)
	l, err := h.Listen(h.S1, dst.Addr(), 80)
	if err != nil {
		return failed(err)
	}
	var ms [2]netip.AddrPort
	var ok [2]bool
	for i, lan := range [2]string{NodeLAN1, NodeLAN2} {
		c, err := h.Dial(h.Topo.Node(lan), netip.AddrPortFrom(netip.Addr{}, port), dst, 3*time.Second, 0)
		if err != nil {
			return failed(fmt.Errorf("%s:%d to s1:80: %w", lan, port, err))
		}
		sc, m, got := h.accept(l, 2*time.Second)
		if !got {
			return failed(fmt.Errorf("s1:80 accepted nothing from %s", lan))
		}
		ms[i] = m
		ok[i] = exchangeTCP(c, sc, h.Msg("up"), h.Msg("down"))
	}
	distinct := ms[0] != ms[1] && ok[0] && ok[1]
	label := "no overloading"
	if !distinct {
		label = "port overloading"
	}
	return comply(distinct, label, "lan0:%d and lan1:%d to s1:80 as %v and %v; data both ways on each: %v, %v", port, port, ms[0], ms[1], ok[0], ok[1])
}

// checkTCPUnreachable: lan0's SYN to a deaf listener on s1 goes unanswered;
// s2, a router as far as the NAT knows, says s1 is unreachable, quoting the
// SYN as s1 saw it. Translated back, the ICMP error ends lan0's connect with
// EHOSTUNREACH at once; otherwise lan0 waits out its 3 s timeout.
func checkTCPUnreachable(ctx context.Context, h *Harness) Outcome {
	const lanPort = 47500
	dst := netip.AddrPortFrom(h.S1Addr, 47501)
	if err := h.deafListener(h.S1, h.S2, dst); err != nil {
		return failed(err)
	}
	tap, err := h.tcpTap(h.S1)
	if err != nil {
		return failed(err)
	}
	icmp, err := h.icmpSocket(h.S2)
	if err != nil {
		return failed(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := h.Dial(h.LAN1, netip.AddrPortFrom(netip.Addr{}, lanPort), dst, 3*time.Second, 0)
		done <- err
	}()
	syn, ok := tap.next(2*time.Second, func(s tcpSeg) bool { return s.Dst == dst && s.Src.Addr() == h.Public && s.is(tcpSYN) })
	if !ok {
		<-done
		return failed(fmt.Errorf("lan0's SYN to %v never reached s1", dst))
	}
	if err := icmp.send(h.Public, icmpError(3, 1, syn.Head)); err != nil {
		return failed(err)
	}
	err = <-done
	took := time.Since(start)
	ok = errors.Is(err, unix.EHOSTUNREACH) && took < 2*time.Second
	label := "translated"
	if !ok {
		label = "not translated"
	}
	return comply(ok, label, "lan0:%d's SYN to %v left as %v; a host unreachable from s2 quoting it: connect ended after %v with %v",
		lanPort, dst, syn.Src, took.Round(time.Millisecond), err)
}

// checkTCPSurvivesICMP: an established connection gets a host unreachable
// and a time exceeded quoting it (from s2) and a port unreachable (from
// s1); data must still flow both ways. lan0 treats ICMP errors on an
// established connection as soft, so a loss is the NAT's doing.
func checkTCPSurvivesICMP(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.S1Addr, 80)
	l, err := h.Listen(h.S1, dst.Addr(), 80)
	if err != nil {
		return failed(err)
	}
	tap, err := h.tcpTap(h.S1)
	if err != nil {
		return failed(err)
	}
	c, err := h.Dial(h.LAN1, netip.AddrPortFrom(netip.Addr{}, 47600), dst, 3*time.Second, 0)
	if err != nil {
		return failed(err)
	}
	sc, m, ok := h.accept(l, 2*time.Second)
	if !ok {
		return failed(errors.New("s1:80 accepted nothing"))
	}
	if !exchangeTCP(c, sc, h.Msg("before"), h.Msg("before")) {
		return failed(errors.New("no data over the fresh connection"))
	}
	seg, ok := tap.next(time.Second, func(s tcpSeg) bool { return s.Src == m && s.Dst == dst })
	if !ok {
		return failed(errors.New("s1's tap saw no segment of the connection"))
	}
	socks, err := h.icmpSockets(h.S2, h.S1)
	if err != nil {
		return failed(err)
	}
	s2, s1 := socks[0], socks[1]
	for _, e := range []struct {
		from      *icmpSocket
		typ, code byte
	}{{s2, 3, 1}, {s2, 11, 0}, {s1, 3, 3}} {
		if err := e.from.send(h.Public, icmpError(e.typ, e.code, seg.Head)); err != nil {
			return failed(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	alive := exchangeTCP(c, sc, h.Msg("after"), h.Msg("after"))
	label := "connection kept"
	if !alive {
		label = "connection lost"
	}
	return comply(alive, label, "connection mapped to %v: after a host unreachable and a time exceeded from s2 and a port unreachable from s1 quoting it, data both ways: %v", m, alive)
}

// checkTCPHairpin: lan0 and lan1 each listen on a port and connect from it
// to s1, which learns their mappings; then each connects from its port to
// the other's mapping, in turn, until one connects, as in RFC 4787 REQ-9's
// check: an endpoint-independent mapping's outbound SYN opens its own filter
// for the other's external endpoint, so the second attempt passes any
// filter. The connection must come from the caller's external endpoint.
func checkTCPHairpin(ctx context.Context, h *Harness) Outcome {
	const p1, p2 = 47700, 47701
	dst := netip.AddrPortFrom(h.S1Addr, 80)
	srv, err := h.Listen(h.S1, dst.Addr(), 80)
	if err != nil {
		return failed(err)
	}
	l1, err := h.Listen(h.LAN1, netip.Addr{}, p1)
	if err != nil {
		return failed(err)
	}
	l2, err := h.Listen(h.LAN2, netip.Addr{}, p2)
	if err != nil {
		return failed(err)
	}
	mapped := func(lan string, port int) (netip.AddrPort, error) {
		if _, err := h.Dial(h.Topo.Node(lan), netip.AddrPortFrom(netip.Addr{}, uint16(port)), dst, 3*time.Second, 0); err != nil {
			return netip.AddrPort{}, fmt.Errorf("%s:%d to s1:80: %w", lan, port, err)
		}
		_, m, ok := h.accept(srv, 2*time.Second)
		if !ok {
			return netip.AddrPort{}, fmt.Errorf("s1:80 accepted nothing from %s", lan)
		}
		return m, nil
	}
	m1, err := mapped(NodeLAN1, p1)
	if err != nil {
		return failed(err)
	}
	m2, err := mapped(NodeLAN2, p2)
	if err != nil {
		return failed(err)
	}
	try := func(from string, port int, to netip.AddrPort, l *net.TCPListener) (netip.AddrPort, bool) {
		if _, err := h.Dial(h.Topo.Node(from), netip.AddrPortFrom(netip.Addr{}, uint16(port)), to, 700*time.Millisecond, 0); err != nil {
			return netip.AddrPort{}, false
		}
		_, src, ok := h.accept(l, 500*time.Millisecond)
		return src, ok
	}
	var from1, from2 netip.AddrPort
	var got1, got2 bool
	// Once one direction connects, the other would be the same 4-tuple.
	for round := 0; round < 2 && !got1 && !got2; round++ {
		if from2, got2 = try(NodeLAN1, p1, m2, l2); !got2 {
			from1, got1 = try(NodeLAN2, p2, m1, l1)
		}
	}
	obs := fmt.Sprintf("lan0:%d (mapped %v) to lan1's mapping %v: %s", p1, m1, m2, connected(got2, from2))
	obs += fmt.Sprintf("; lan1:%d (mapped %v) to lan0's mapping %v: %s", p2, m2, m1, connected(got1, from1))
	switch {
	case !got1 && !got2:
		return comply(false, "no hairpinning", "%s", obs)
	case (got2 && from2.Addr() != h.Public) || (got1 && from1.Addr() != h.Public):
		return comply(false, "hairpinning with internal source", "%s", obs)
	}
	return comply(true, "hairpinning", "%s", obs)
}

func connected(ok bool, from netip.AddrPort) string {
	if !ok {
		return "no connection"
	}
	return fmt.Sprintf("accepted from %v", from)
}
