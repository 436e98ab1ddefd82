package conform

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// RFC 5508: NAT behavioural requirements for ICMP.
func icmpRequirements() []Requirement {
	return []Requirement{
		{ID: "RFC5508 REQ-1", Title: "ICMP echo through the NAT, identifier mapping independent of the host", Level: MUST, Check: checkEcho},
		{ID: "RFC5508 REQ-2", Title: "ICMP query mapping timer of at least 60 s", Level: MUST, Speed: 30, Check: checkQueryTimeout},
		{ID: "RFC5508 REQ-3", Title: "An ICMP error with a bad ICMP checksum is dropped", Level: SHOULD, Check: checkErrorChecksum},
		{ID: "RFC5508 REQ-4", Title: "ICMP errors from outside reach the internal host of a UDP or TCP flow", Level: MUST, Check: checkErrorsIn},
		{ID: "RFC5508 REQ-5", Title: "ICMP errors from the internal host reach the external host", Level: MUST, Check: checkErrorsOut},
		{ID: "RFC5508 REQ-6", Title: "An ICMP error about an ICMP query does not delete its session", Level: MUST, Check: checkQueryErrorKeepsSession},
	}
}

// echoMatch accepts echo messages of typ with id (and seq, if non-zero).
func echoMatch(typ byte, id, seq uint16) func(netip.Addr, []byte) bool {
	return func(_ netip.Addr, m []byte) bool {
		return m[0] == typ && binary.BigEndian.Uint16(m[4:]) == id && (seq == 0 || binary.BigEndian.Uint16(m[6:]) == seq)
	}
}

// ping sends echo requests from lan to dst until a reply with id comes back,
// and returns the identifier the far side saw (from its raw socket far).
func (h *Harness) ping(lan, far *icmpSocket, dst netip.Addr, id, seq uint16) (uint16, bool) {
	for attempt := 0; attempt < 10; attempt++ {
		lan.send(dst, echo(8, id, seq, []byte("boxlab")))
		var seen uint16
		if _, m, ok := far.recv(200*time.Millisecond, func(src netip.Addr, m []byte) bool {
			return src == h.Public && m[0] == 8 && binary.BigEndian.Uint16(m[6:]) == seq
		}); ok {
			seen = binary.BigEndian.Uint16(m[4:])
		}
		if _, _, ok := lan.recv(200*time.Millisecond, echoMatch(0, id, seq)); ok {
			return seen, true
		}
	}
	return 0, false
}

func checkEcho(ctx context.Context, h *Harness) Outcome {
	socks, err := h.icmpSockets(h.LAN1, h.S1, h.S2)
	if err != nil {
		return failed(err)
	}
	lan, s1, s2 := socks[0], socks[1], socks[2]
	const id = 0x5508
	id1, ok1 := h.ping(lan, s1, h.S1Addr, id, 1)
	id2, ok2 := h.ping(lan, s2, h.S2Addr, id, 2)
	obs := fmt.Sprintf("echo id %#x from lan0: to s1 %s (id seen there %#x), to s2 %s (id seen there %#x)", id, answered(ok1), id1, answered(ok2), id2)
	label := "echo passes"
	switch {
	case !ok1 || !ok2:
		label = "echo blocked"
	case id1 != id2:
		label += ", id per host"
	}
	return comply(ok1 && ok2, label, "%s", obs)
}

func answered(b bool) string {
	if b {
		return "answered"
	}
	return "not answered"
}

// queryProbes are the idle times (simulated) after which echo query mappings are probed.
var queryProbes = []time.Duration{25 * time.Second, 45 * time.Second, 57 * time.Second, 65 * time.Second, 120 * time.Second}

// checkQueryTimeout runs queryTimeoutOnce until it is conclusive, at most
// three times: on a starved CPU a probe can leave seconds of simulated time
// late, and an expired mapping found by a late probe proves nothing.
func checkQueryTimeout(ctx context.Context, h *Harness) Outcome {
	return untilConclusive(func(try int) (Outcome, bool) { return queryTimeoutOnce(ctx, h, uint16(0x6000+0x100*try)) })
}

func queryTimeoutOnce(ctx context.Context, h *Harness, idBase uint16) (Outcome, bool) {
	socks, err := h.icmpSockets(h.LAN1, h.S1)
	if err != nil {
		return failed(err), true
	}
	lan, s1 := socks[0], socks[1]
	idles := queryProbes
	ids := make([]uint16, len(idles))
	for i := range idles {
		seen, ok := h.ping(lan, s1, h.S1Addr, idBase+uint16(i), 1)
		if !ok {
			return failed(fmt.Errorf("echo %d not answered", i)), true
		}
		ids[i] = seen
	}
	start := time.Now()
	alive := make([]bool, len(idles))
	after := make([]time.Duration, len(idles))
	for i, idle := range idles {
		if err := h.WaitUntil(ctx, start, idle); err != nil {
			return failed(err), true
		}
		after[i] = time.Duration(float64(time.Since(start)) * h.Speed)
		// an unsolicited echo reply from s1 to the query mapping
		s1.send(h.Public, echo(0, ids[i], 99, []byte("late")))
	}
	obs := ""
	var lived time.Duration
	dead, early := false, false // early: a probe sent before 57 s found the mapping gone
	for i := range idles {
		_, _, alive[i] = lan.recv(100*time.Millisecond, echoMatch(0, idBase+uint16(i), 99))
		obs += fmt.Sprintf("%s after %v", aliveText(alive[i]), after[i].Round(time.Second))
		if i < len(idles)-1 {
			obs += ", "
		}
		if alive[i] && !dead {
			lived = after[i]
		}
		dead = dead || !alive[i]
		early = early || (!alive[i] && after[i] < 57*time.Second)
	}
	ok := lived >= 57*time.Second
	return comply(ok, lifetimeBracket(queryProbes, alive), "echo query mappings probed from s1 with an echo reply: %s (speed %g)", obs, h.Speed), ok || early
}

func checkErrorsIn(ctx context.Context, h *Harness) Outcome {
	// UDP: s1 has no socket on 3499, so it answers with port unreachable.
	var uc net.Conn
	err := h.LAN1.NS.Do(func() error {
		var err error
		uc, err = net.Dial("udp4", netip.AddrPortFrom(h.S1Addr, 3499).String())
		return err
	})
	if err != nil {
		return failed(err)
	}
	h.track(uc)
	udpRefused := false
	buf := make([]byte, 64)
	for i := 0; i < 10 && !udpRefused; i++ {
		uc.Write([]byte(h.Msg("nobody")))
		uc.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		_, err := uc.Read(buf)
		udpRefused = errors.Is(err, unix.ECONNREFUSED)
	}
	// TCP: a SYN with TTL 2 passes the gateway and dies at the next router,
	// which sends time exceeded; the connect must fail with it.
	start := time.Now()
	_, err = h.Dial(h.LAN1, netip.AddrPort{}, netip.AddrPortFrom(h.S1Addr, 80), 3*time.Second, 2)
	took := time.Since(start)
	tcpUnreach := errors.Is(err, unix.EHOSTUNREACH)
	ok := udpRefused && tcpUnreach
	label := "translated"
	if !ok {
		label = "not translated"
	}
	return comply(ok, label, "connected UDP socket to s1:3499 (closed) got ECONNREFUSED: %v; TCP SYN with TTL 2 (time exceeded from the core router): connect failed after %v with %v",
		udpRefused, took.Round(time.Millisecond), err)
}

func checkErrorsOut(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.S1Addr, 3490)
	s1, err := h.UDP(h.S1, h.S1Addr, 3490)
	if err != nil {
		return failed(err)
	}
	c, m, err := h.Mapping(h.LAN1, 48500, s1, dst)
	if err != nil {
		return failed(err)
	}
	c.Close() // lan0's port is closed now: it answers with port unreachable
	s1.Close()
	var sc *net.UDPConn
	err = h.S1.NS.Do(func() error {
		var err error
		sc, err = net.DialUDP("udp4", net.UDPAddrFromAddrPort(dst), net.UDPAddrFromAddrPort(m))
		return err
	})
	if err != nil {
		return failed(err)
	}
	h.track(sc)
	refused := false
	buf := make([]byte, 64)
	for i := 0; i < 10 && !refused; i++ {
		sc.Write([]byte(h.Msg("closed")))
		sc.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		_, err := sc.Read(buf)
		refused = errors.Is(err, unix.ECONNREFUSED)
	}
	label := "translated"
	if !refused {
		label = "not translated"
	}
	return comply(refused, label, "s1's connected socket to the mapping %v of a closed LAN port got ECONNREFUSED: %v", m, refused)
}
